package acd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// scanner reads the JSON of GET /acd/events as a stream, value by value,
// without a json.Decoder: a json.Decoder holds each value whole (a 256
// MiB "filter" string took 1 GiB of heap), while the scanner skips
// values it does not keep without holding them and stops any value over
// max bytes with ErrTooLarge. What it keeps (a record, a key) is decoded
// afterwards with encoding/json, which checks it fully.
type scanner struct {
	r    io.Reader
	buf  []byte
	off  int // next unread byte of buf
	n    int // end of the data in buf
	err  error
	read int64 // bytes consumed so far, for error positions
}

const scanBuffer = 32 << 10

func newScanner(r io.Reader) *scanner { return &scanner{r: r, buf: make([]byte, scanBuffer)} }

// errTooLarge is returned by value for a value over its limit.
var errTooLarge = errors.New("value too large")

// fill reads more data once everything buffered was consumed. It returns
// the read error (io.EOF at the end) when no data came.
func (s *scanner) fill() error {
	if s.off < s.n {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	s.off, s.n = 0, 0
	for s.n == 0 {
		k, err := s.r.Read(s.buf)
		s.n = k
		if err != nil {
			s.err = err
			if k == 0 {
				return err
			}
		}
	}
	return nil
}

// peek returns the next byte that is not white space, without consuming
// it.
func (s *scanner) peek() (byte, error) {
	for {
		if err := s.fill(); err != nil {
			return 0, unexpected(err)
		}
		for s.off < s.n {
			switch c := s.buf[s.off]; c {
			case ' ', '\t', '\r', '\n':
				s.off++
				s.read++
			default:
				return c, nil
			}
		}
	}
}

// expect consumes the next non-space byte, which must be one of want.
func (s *scanner) expect(want string) (byte, error) {
	c, err := s.peek()
	if err != nil {
		return 0, err
	}
	if bytes.IndexByte([]byte(want), c) < 0 {
		return 0, fmt.Errorf("invalid character %q at offset %d: want one of %q", c, s.read, want)
	}
	s.off++
	s.read++
	return c, nil
}

// value reads the next JSON value. When keep is set its bytes are
// appended to dst and returned. A value longer than max bytes fails with
// errTooLarge after reading at most max bytes of it (plus one buffer).
// Strings and nesting are followed so that the value's end is found; the
// kept value is checked by whoever decodes it, a skipped one only this
// far.
func (s *scanner) value(dst []byte, keep bool, max int64) ([]byte, error) {
	first, err := s.peek()
	if err != nil {
		return dst, err
	}
	var (
		depth    int
		inString bool
		escape   bool
		literal  = first != '{' && first != '[' && first != '"'
		size     int64
		started  bool
	)
	if literal && !isLiteral(first) {
		return dst, fmt.Errorf("invalid character %q at offset %d looking for a value", first, s.read)
	}
	for {
		if err := s.fill(); err != nil {
			if literal && errors.Is(err, io.EOF) && started {
				return dst, nil // a literal ends with the body
			}
			return dst, unexpected(err)
		}
		chunk := s.buf[s.off:s.n]
		end := -1 // index in chunk just past the value's end
	scan:
		for i := 0; i < len(chunk); i++ {
			c := chunk[i]
			switch {
			case literal:
				if !isLiteral(c) {
					end = i
					break scan
				}
			case inString:
				if escape {
					escape = false
					continue
				}
				// jump to the next quote or backslash
				j := bytes.IndexAny(chunk[i:], "\"\\")
				if j < 0 {
					i = len(chunk) - 1
					continue
				}
				i += j
				if chunk[i] == '\\' {
					escape = true
					continue
				}
				inString = false
				if depth == 0 {
					end = i + 1
					break scan
				}
			default:
				switch c {
				case '"':
					if !started || depth > 0 {
						inString = true
					}
				case '{', '[':
					depth++
				case '}', ']':
					depth--
					if depth == 0 {
						end = i + 1
						break scan
					}
				}
			}
			started = true
		}
		started = true
		k := len(chunk)
		if end >= 0 {
			k = end
		}
		if size+int64(k) > max {
			return dst, errTooLarge
		}
		size += int64(k)
		if keep {
			dst = append(dst, chunk[:k]...)
		}
		s.off += k
		s.read += int64(k)
		if end >= 0 {
			return dst, nil
		}
	}
}

func isLiteral(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E'
}

// unexpected turns the end of the body inside a value into
// io.ErrUnexpectedEOF; other read errors stay as they are.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
