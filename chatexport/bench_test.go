package chatexport

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"sync"
	"testing"
)

// BenchmarkRender renders transcripts of 1,000 and 10,000 messages and
// reports the pages; the ns/op of the two give the growth factor.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		s := sampleSession(n)
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if err := RenderPDF(&buf, s, RenderOptions{CreationDate: start}); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size)/1024, "KiB")
			b.ReportMetric(float64(pages(b, s)), "pages")
		})
	}
}

func pages(b *testing.B, s *Session) int {
	b.Helper()
	pdf, err := RenderPDFBytes(s, RenderOptions{CreationDate: start})
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Count(pdf, []byte("/Type /Page\n"))
}

// BenchmarkRenderConcurrent renders 8 transcripts of 1,000 messages at once.
func BenchmarkRenderConcurrent(b *testing.B) {
	s := sampleSession(1000)
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := RenderPDF(io.Discard, s, RenderOptions{CreationDate: start}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
}

// BenchmarkDecodeReportStream decodes a 16 MiB PDF's report post from a
// stream: the receiving side's throughput per core.
func BenchmarkDecodeReportStream(b *testing.B) {
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789abcdef"), 1<<20)...)
	body := []byte(`{"bytes":` + fmt.Sprint(len(pdf)) + `,"report":"` + base64.StdEncoding.EncodeToString(pdf) + `"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeReportStream(bytes.NewReader(body), DefaultBodyFields, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
