package avayatest

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"io"

	"github.com/contactkit/contactkit/avaya"
)

// AudioReader returns the size bytes of a recording's generated audio:
// the same bytes for the same key every time, made as they are read, so
// nothing of size is ever held.
func AudioReader(key avaya.Key, size int64) io.Reader {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return io.LimitReader(&noise{state: h.Sum64() | 1}, size)
}

// noise is a xorshift byte stream: cheap enough to serve gigabytes. Each
// step makes 8 bytes; the bytes are the same however the stream is read
// (in any chunk sizes), so a range served from an offset matches the
// whole body.
type noise struct {
	state uint64
	word  [8]byte
	left  int // bytes of word not yet read
}

func (n *noise) step() {
	x := n.state
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	n.state = x
}

func (n *noise) Read(p []byte) (int, error) {
	i := 0
	for ; i < len(p) && n.left > 0; i++ {
		p[i] = n.word[8-n.left]
		n.left--
	}
	for ; i+8 <= len(p); i += 8 {
		n.step()
		binary.LittleEndian.PutUint64(p[i:], n.state)
	}
	if i < len(p) {
		n.step()
		binary.LittleEndian.PutUint64(n.word[:], n.state)
		n.left = 8
		for ; i < len(p); i++ {
			p[i] = n.word[8-n.left]
			n.left--
		}
	}
	return len(p), nil
}

// The fake's WAV files are 8 kHz mono G.711 µ-law, as telephone
// recordings are: 8 bytes per millisecond of recording after a 58-byte
// header (RIFF, a WAVE_FORMAT_MULAW "fmt " chunk, "fact", "data"). They
// are much larger than the stored SPX file whose size the listing gives:
// the document's 48,974 ms recording is 42,443 bytes as SPX and 391,850
// as WAV.
const (
	wavHeaderSize  = 58
	wavBytesPerMs  = 8
	wavSampleRate  = 8000
	wavFormatMuLaw = 7
)

// wavDataSize is the size of a recording's samples in its WAV file.
func wavDataSize(r avaya.Recording) int64 { return r.Duration.Milliseconds() * wavBytesPerMs }

// WAVSize is the size of the WAV file the server sends for recs: one
// recording, or a call's recordings one after another in one file.
func WAVSize(recs ...avaya.Recording) int64 {
	n := int64(wavHeaderSize)
	for _, r := range recs {
		n += wavDataSize(r)
	}
	return n
}

// WAVReader returns the WAV file the server sends for recs, made as it is
// read: a header with the right RIFF and data sizes, then each
// recording's generated samples.
func WAVReader(recs ...avaya.Recording) io.Reader {
	data := WAVSize(recs...) - wavHeaderSize
	riff := uint32(data + wavHeaderSize - 8)
	if data+wavHeaderSize-8 > 0xFFFFFFFF {
		riff = 0xFFFFFFFF // too large for RIFF: the "unknown" mark
	}
	h := make([]byte, 0, wavHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, riff)
	h = append(h, "WAVE"...)
	h = append(h, "fmt "...)
	h = binary.LittleEndian.AppendUint32(h, 18)
	h = binary.LittleEndian.AppendUint16(h, wavFormatMuLaw)
	h = binary.LittleEndian.AppendUint16(h, 1) // mono
	h = binary.LittleEndian.AppendUint32(h, wavSampleRate)
	h = binary.LittleEndian.AppendUint32(h, wavSampleRate) // bytes per second
	h = binary.LittleEndian.AppendUint16(h, 1)             // block align
	h = binary.LittleEndian.AppendUint16(h, 8)             // bits per sample
	h = binary.LittleEndian.AppendUint16(h, 0)             // no extension
	h = append(h, "fact"...)
	h = binary.LittleEndian.AppendUint32(h, 4)
	h = binary.LittleEndian.AppendUint32(h, uint32(min(data, 0xFFFFFFFF))) // samples
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(min(data, 0xFFFFFFFF)))
	readers := []io.Reader{bytes.NewReader(h)}
	for _, r := range recs {
		readers = append(readers, AudioReader(r.Key, wavDataSize(r)))
	}
	return io.MultiReader(readers...)
}

// Audio returns the file the server sends for recs in format (spx or
// wav) and its size. SPX is the stored file, exactly the listing's size;
// several recordings are sent one after another.
func Audio(format avaya.AudioFormat, recs ...avaya.Recording) (io.Reader, int64) {
	if format == avaya.WAV {
		return WAVReader(recs...), WAVSize(recs...)
	}
	var size int64
	readers := make([]io.Reader, len(recs))
	for i, r := range recs {
		size += r.Size
		readers[i] = AudioReader(r.Key, r.Size)
	}
	return io.MultiReader(readers...), size
}
