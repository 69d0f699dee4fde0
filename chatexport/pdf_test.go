package chatexport

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/testtool"
)

var start = time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC)

// sampleSession is a chat in Polish, German, French and Russian with an
// emoji.
func sampleSession(messages int) *Session {
	texts := []struct {
		sender string
		role   Role
		text   string
	}{
		{"Anna Kowalska", Customer, "Dzień dobry! Zażółć gęślą jaźń – mam pytanie o zamówienie 4711."},
		{"Jörg Müller", Agent, "Grüß Gott, Frau Kowalska! Schöne Grüße aus Köln – wie kann ich helfen?"},
		{"Anna Kowalska", Customer, "Où est ma commande ? Ça fait déjà une semaine… 😀"},
		{"Jörg Müller", Agent, "Съешь же ещё этих мягких французских булок, да выпей чаю."},
		{"Chatbot", Bot, "Bewerten Sie bitte dieses Gespräch."},
		{"System", System, "Chat beendet."},
	}
	s := &Session{
		ID: "chat-2024-0001", ClientsID: "1001", ChatConnectorID: "7", ChatConnectorName: "Webshop – Kundenservice",
		Start: start, End: start.Add(12*time.Minute + 30*time.Second),
		Participants: []Participant{{"Anna Kowalska", Customer}, {"Jörg Müller", Agent}, {"Chatbot", Bot}},
		PData:        map[string]string{"name": "John Doe", "email": "john.doe@example.com"},
	}
	for i := range messages {
		m := texts[i%len(texts)]
		s.Messages = append(s.Messages, Message{Time: start.Add(time.Duration(i) * 7 * time.Second), Sender: m.sender, Role: m.role, Text: m.text})
	}
	return s
}

func writePDF(t *testing.T, s *Session) string {
	t.Helper()
	b, err := RenderPDFBytes(s, RenderOptions{CreationDate: start})
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte("%PDF-")))
	path := filepath.Join(t.TempDir(), "chat.pdf")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

func run(t *testing.T, tool string, args ...string) string {
	t.Helper()
	out, err := exec.Command(testtool.Require(t, tool), args...).CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

func words(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestTranscriptReadsBackExactly(t *testing.T) {
	s := sampleSession(6)
	text := words(run(t, "pdftotext", "-enc", "UTF-8", writePDF(t, s), "-"))
	for _, m := range s.Messages {
		assert.Contains(t, text, words(m.Text), "message of %s", m.Sender)
		assert.Contains(t, text, m.Time.Format("15:04:05")+" "+m.Sender+" ("+string(m.Role)+")")
	}
	for _, want := range []string{
		"Chat session chat-2024-0001", "Webshop – Kundenservice (id 7)", "Client account 1001",
		"Start 2024-05-06 09:30:00 UTC", "End 2024-05-06 09:42:30 UTC", "Duration 12m30s",
		"Anna Kowalska (customer), Jörg Müller (agent), Chatbot (bot)",
		"pdata.email john.doe@example.com", "pdata.name John Doe", "Page 1 of 1",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, Placeholder, "the emoji is drawn, and extracted as itself")
}

func TestPagesFooterAndFonts(t *testing.T) {
	path := writePDF(t, sampleSession(300))
	info := run(t, "pdfinfo", path)
	m := regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(info)
	require.NotNil(t, m, info)
	pages, _ := strconv.Atoi(m[1])
	assert.Greater(t, pages, 5)
	assert.Contains(t, info, "Producer:        contactkit chatexport")
	text := run(t, "pdftotext", "-enc", "UTF-8", path, "-")
	for p := 1; p <= pages; p++ {
		assert.Contains(t, text, fmt.Sprintf("Page %d of %d", p, pages))
	}
	assert.Equal(t, pages, strings.Count(text, "Chat transcript – Webshop – Kundenservice"), "the page header is on every page")

	fonts := run(t, "pdffonts", path)
	assert.Contains(t, fonts, "Identity-H")
	lines := strings.Split(strings.TrimSpace(fonts), "\n")[2:]
	assert.Len(t, lines, 2, "regular and bold")
	for _, l := range lines {
		f := strings.Fields(l)
		assert.Equal(t, []string{"yes", "yes"}, []string{f[len(f)-5], f[len(f)-3]}, "embedded with a unicode map: %s", l)
	}
}

func TestLongWordsAreBroken(t *testing.T) {
	long := strings.Repeat("abcdefghij", 60)
	s := sampleSession(0)
	s.Messages = []Message{{Time: start, Sender: "Anna", Role: Customer, Text: "see " + long + " ok"}}
	text := run(t, "pdftotext", "-enc", "UTF-8", writePDF(t, s), "-")
	assert.Equal(t, long, strings.Join(regexp.MustCompile(`[a-j]{10,}`).FindAllString(text, -1), ""), "every character is there, wrapped")
	assert.Contains(t, text, "ok")
}

func TestDeterministicWithFixedDate(t *testing.T) {
	a, err := RenderPDFBytes(sampleSession(40), RenderOptions{CreationDate: start})
	require.NoError(t, err)
	b, err := RenderPDFBytes(sampleSession(40), RenderOptions{CreationDate: start})
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestNoInputFails(t *testing.T) {
	hostile := []string{
		"", "\x00\x01\x02", "\xff\xfe invalid utf-8 \xc3", "😀🎉👍🏽", "\U0010FFFF", "\r\n\r\n\t\t",
		strings.Repeat("€", 5000), strings.Repeat("ẞ", 3000) + "\n", "日本語のテキスト", "עִבְרִית العربية", "\u202e reversed",
	}
	for _, h := range hostile {
		s := &Session{ID: h, ChatConnectorName: h, ClientsID: h, PData: map[string]string{h: h},
			Participants: []Participant{{h, Role(h)}}, Messages: []Message{{Sender: h, Role: Role(h), Text: h}}}
		_, err := RenderPDFBytes(s, RenderOptions{})
		require.NoError(t, err, "%q", h)
	}
	_, err := RenderPDFBytes(nil, RenderOptions{})
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
}

func TestConcurrentRenders(t *testing.T) {
	var wg sync.WaitGroup
	out := make([][]byte, 8)
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := RenderPDFBytes(sampleSession(50), RenderOptions{CreationDate: start})
			assert.NoError(t, err)
			out[i] = b
		}()
	}
	wg.Wait()
	for i := range out {
		assert.Equal(t, out[0], out[i], "render %d", i)
	}
}

func TestClean(t *testing.T) {
	assert.Equal(t, "a"+Placeholder+"b", clean("a😀b"))
	assert.Equal(t, "line1\nline2", clean("line1\r\nline2"))
	assert.Equal(t, "ab", clean("a\x00\x07b"))
	assert.Equal(t, "x    y", clean("x\ty"))
	assert.Equal(t, "ok", clean("o\xffk"))
}

// FuzzRenderPDF: no text makes rendering fail. Loading the 700 KB fonts
// and writing the file cost ~30 ms a transcript, which let the fuzzer run
// a few inputs per second; so the harness lays out fuzzBatch inputs, each
// as a session of its own, in one document with a subset of DejaVu Sans
// (cut by fpdf itself from the real font) and uncompressed pages, checks
// fpdf's error after each, and writes the document once per batch. A
// write that fails is traced to its input by rendering each input of the
// batch alone with the real fonts. Each text is capped at 1 KiB.
func FuzzRenderPDF(f *testing.F) {
	for _, s := range []string{
		"Zażółć gęślą jaźń 😀", "\xff", "", strings.Repeat("w", 400), "a\nb\r\nc\td",
		"👍🏽👨‍👩‍👧🇵🇱1️⃣❤️ ❤ 𝄞 \U0001F1E6 \u200d\ufe0f", "https://example.com/" + strings.Repeat("😀", 80) + " a@b.cc.",
	} {
		f.Add(s)
	}
	cheap := fuzzFonts(f)
	_, err := loadEmojiSheet() // decoded once per process, before the clock runs
	require.NoError(f, err)
	var r *renderer
	var batch []string
	f.Fuzz(func(t *testing.T, text string) {
		text = text[:min(len(text), 1024)]
		s := &Session{ID: text, ChatConnectorName: text, PData: map[string]string{"k": text},
			Messages: []Message{{Sender: text, Role: Agent, Text: text}, {Sender: "c", Role: Customer, Text: text}}}
		if r == nil {
			r = newRenderer(s, RenderOptions{CreationDate: start}, cheap)
		}
		r.session(s)
		if err := r.pdf.Error(); err != nil {
			r, batch = nil, nil
			t.Fatalf("render failed for %q: %v", text, err)
		}
		batch = append(batch, text)
		if len(batch) < fuzzBatch {
			return
		}
		err := r.pdf.Output(io.Discard)
		texts := batch
		r, batch = nil, nil
		if err != nil {
			for _, text := range texts {
				s := &Session{ID: text, ChatConnectorName: text, PData: map[string]string{"k": text},
					Messages: []Message{{Sender: text, Role: Agent, Text: text}, {Sender: "c", Role: Customer, Text: text}}}
				if err := RenderPDF(io.Discard, s, RenderOptions{CreationDate: start}); err != nil {
					t.Fatalf("render failed for %q: %v", text, err)
				}
			}
			t.Fatalf("writing a batch failed, no input alone fails: %v", err)
		}
	})
}

// fuzzBatch is how many inputs FuzzRenderPDF lays out in one document.
const fuzzBatch = 50

// fuzzFonts cuts the subset fonts for FuzzRenderPDF out of a PDF rendered
// with the real ones: fpdf embeds exactly the glyphs a document uses.
func fuzzFonts(tb testing.TB) fonts {
	tb.Helper()
	var runes strings.Builder
	for _, r := range [][2]rune{{0x20, 0x7e}, {0xa0, 0x17f}, {0x370, 0x3ff}, {0x400, 0x45f}, {0x2010, 0x2044}, {0xfffd, 0xfffd}} {
		for c := r[0]; c <= r[1]; c++ {
			runes.WriteRune(c)
		}
	}
	s := &Session{ID: runes.String(), Messages: []Message{{Sender: runes.String(), Role: Agent, Text: runes.String()}}}
	var doc bytes.Buffer
	require.NoError(tb, render(&doc, s, RenderOptions{CreationDate: start}, fonts{regular: fontRegular, bold: fontBold}))
	re := regexp.MustCompile(`/Length (\d+)\n/Filter /FlateDecode\n/Length1 (\d+)\n>>\nstream\n`)
	var cut [][]byte
	for _, m := range re.FindAllSubmatchIndex(doc.Bytes(), -1) {
		n, _ := strconv.Atoi(string(doc.Bytes()[m[2]:m[3]]))
		zr, err := zlib.NewReader(bytes.NewReader(doc.Bytes()[m[1] : m[1]+n]))
		require.NoError(tb, err)
		font, err := io.ReadAll(zr)
		require.NoError(tb, err)
		cut = append(cut, font)
	}
	require.Len(tb, cut, 2, "regular and bold")
	return fonts{regular: cut[0], bold: cut[1]}
}

// The subset fonts of the fuzz harness render the sample chat, and are a
// small part of the real ones.
func TestFuzzFontsRender(t *testing.T) {
	cheap := fuzzFonts(t)
	assert.Less(t, len(cheap.regular)+len(cheap.bold), (len(fontRegular)+len(fontBold))/4)
	var out bytes.Buffer
	require.NoError(t, render(&out, sampleSession(30), RenderOptions{CreationDate: start}, cheap))
	assert.True(t, bytes.HasPrefix(out.Bytes(), []byte("%PDF-")))
}
