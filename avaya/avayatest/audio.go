package avayatest

import (
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
