package avayatest

import (
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

// noise is a xorshift byte stream: cheap enough to serve gigabytes.
type noise struct{ state uint64 }

func (n *noise) Read(p []byte) (int, error) {
	x := n.state
	i := 0
	for ; i+8 <= len(p); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		p[i], p[i+1], p[i+2], p[i+3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
		p[i+4], p[i+5], p[i+6], p[i+7] = byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56)
	}
	for ; i < len(p); i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		p[i] = byte(x)
	}
	n.state = x
	return len(p), nil
}
