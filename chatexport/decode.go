package chatexport

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Receiving errors. Every error of DecodeReport and DecodeReportStream that
// says the body is not a valid report matches ErrBadReport (answer 400);
// ErrNotPDF and ErrSizeMismatch say more. A failure to read the body or to
// write the PDF is returned wrapped instead, and does not match it.
var (
	ErrBadReport    = errors.New("contactkit: chatexport: not a valid report post")
	ErrNotPDF       = errors.New("contactkit: chatexport: the report is not a PDF")
	ErrSizeMismatch = errors.New("contactkit: chatexport: $report.bytes does not match the report")
)

type reportError struct {
	msg   string
	cause error // ErrNotPDF, ErrSizeMismatch or nil
}

func (e *reportError) Error() string { return "contactkit: chatexport: report post: " + e.msg }

func (e *reportError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrBadReport}
	}
	return []error{ErrBadReport, e.cause}
}

func bad(format string, args ...any) error { return &reportError{msg: fmt.Sprintf(format, args...)} }

// readError is a failure to read the body (the client went away, stalled,
// or sent more than allowed): not the client's JSON at fault.
type readError struct{ err error }

func (e *readError) Error() string {
	return "contactkit: chatexport: reading the report post: " + e.err.Error()
}
func (e *readError) Unwrap() error { return e.err }

// writeError is a failure of the PDF's destination (a full disk).
type writeError struct{ err error }

func (e *writeError) Error() string {
	return "contactkit: chatexport: writing the report: " + e.err.Error()
}
func (e *writeError) Unwrap() error { return e.err }

// maxOtherFields bounds what the fields other than the PDF may take
// together (they are held in memory): the XML template, pdata, names.
const maxOtherFields = 8 << 20

// pdfHeaderWindow is where %PDF- may start: readers accept a few bytes of
// junk before it, as Acrobat does.
const pdfHeaderWindow = 1024

// DecodeReport reads a JSON report body: it decodes the base64 PDF (and
// XML) and checks that it is a PDF and that the declared $report.bytes
// fits it. See DecodeReportStream for what is accepted.
func DecodeReport(body []byte, f BodyFields) (*Report, error) {
	var pdf bytes.Buffer
	pdf.Grow(len(body) * 3 / 4)
	rep, err := DecodeReportStream(bytes.NewReader(body), f, &pdf)
	if err != nil {
		return nil, err
	}
	rep.PDF = pdf.Bytes()
	return rep, nil
}

// DecodeReportStream reads a JSON report body from r and writes the
// decoded PDF to pdf as it arrives, holding neither the body nor the PDF
// in memory (the other fields, at most 8 MiB together, are kept in
// Fields). The returned Report has Size set and PDF nil. On an error pdf
// may have received part of a PDF: discard it.
//
// Accepted, since the document allows each reading and a refused report
// is lost: $report.bytes as the PDF's size or as the size of its base64
// text (with or without line breaks), as a JSON number ("12", "12.0",
// 1.2e1) or string, or absent (no check); base64 with or without padding,
// line-wrapped, with "\/" escapes, or in the URL-safe alphabet; up to
// 1 KiB before %PDF-. Refused: anything after the JSON object, the PDF
// field twice, a PDF field that is not a string.
func DecodeReportStream(r io.Reader, f BodyFields, pdf io.Writer) (*Report, error) {
	if f.PDF == "" {
		return nil, errors.New("contactkit: chatexport: BodyFields.PDF is required")
	}
	d := &decoder{br: bufio.NewReaderSize(r, 64<<10), budget: maxOtherFields}
	rep := &Report{Fields: map[string]any{}}
	var textLen, b64Len int64
	seenPDF := false
	if err := d.object(func(key string) error {
		if key != f.PDF {
			v, err := d.value()
			if err != nil {
				return err
			}
			rep.Fields[key] = v
			return nil
		}
		if seenPDF {
			return bad("field %q appears twice", f.PDF)
		}
		seenPDF = true
		p := &pdfWriter{w: pdf}
		var err error
		textLen, b64Len, err = d.base64String(p, f.PDF)
		if err != nil {
			return err
		}
		if err := p.finish(); err != nil {
			return err
		}
		rep.Size = p.n
		return nil
	}); err != nil {
		return nil, err
	}
	if !seenPDF || rep.Size == 0 {
		return nil, bad("field %q must hold the base64 PDF", f.PDF)
	}
	if f.Bytes != "" {
		declared, present, err := declaredSize(rep.Fields[f.Bytes])
		if err != nil {
			return nil, bad("field %q must hold the report size: %v", f.Bytes, err)
		}
		if present && declared != rep.Size && declared != textLen && declared != b64Len {
			return nil, &reportError{
				msg:   fmt.Sprintf("$report.bytes %d does not match the PDF (%d bytes) or its base64 text (%d bytes)", declared, rep.Size, b64Len),
				cause: ErrSizeMismatch,
			}
		}
	}
	if f.XML != "" {
		if x, ok := rep.Fields[f.XML].(string); ok {
			var err error
			if rep.XML, err = decodeBase64Text(x); err != nil {
				return nil, bad("field %q must hold base64 XML: %v", f.XML, err)
			}
		}
	}
	return rep, nil
}

// declaredSize reads $report.bytes: a number or a string holding one; an
// absent, null or empty value is no declaration.
func declaredSize(v any) (n int64, present bool, err error) {
	var s string
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
		if s == "" {
			return 0, false, nil
		}
	default:
		return 0, false, fmt.Errorf("got %T", v)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true, nil
	}
	fl, err := strconv.ParseFloat(s, 64)
	if err != nil || fl != math.Trunc(fl) || fl < 0 || fl > 1<<53 {
		return 0, false, fmt.Errorf("%q is not a byte count", s)
	}
	return int64(fl), true, nil
}

// decodeBase64Text decodes a (small) base64 value with the same leniency
// as the PDF.
func decodeBase64Text(s string) ([]byte, error) {
	var out bytes.Buffer
	b := &b64{w: &out}
	for i := 0; i < len(s); i++ {
		if err := b.feed(s[i]); err != nil {
			return nil, err
		}
	}
	if err := b.flush(true); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// pdfWriter checks for %PDF- in the first bytes before passing them on,
// and counts.
type pdfWriter struct {
	w    io.Writer
	head []byte // held until %PDF- is seen
	ok   bool
	n    int64
}

func (p *pdfWriter) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if !p.ok {
		p.head = append(p.head, b...)
		if !bytes.Contains(p.head[:min(len(p.head), pdfHeaderWindow+5)], []byte("%PDF-")) {
			if len(p.head) >= pdfHeaderWindow+5 {
				return 0, &reportError{msg: "no %PDF- header", cause: ErrNotPDF}
			}
			return len(b), nil
		}
		p.ok = true
		b, p.head = p.head, nil
	}
	if _, err := p.w.Write(b); err != nil {
		return 0, &writeError{err}
	}
	return len(b), nil
}

func (p *pdfWriter) finish() error {
	if !p.ok {
		if p.n == 0 {
			return nil // empty: reported by the caller
		}
		return &reportError{msg: "no %PDF- header", cause: ErrNotPDF}
	}
	return nil
}

// b64 decodes base64 fed one character at a time, in chunks.
type b64 struct {
	w      io.Writer
	buf    [4096]byte
	out    [3072]byte
	n      int
	padded bool // '=' seen: nothing may follow
}

// b64Class maps a byte to its base64 character ('-' and '_' of the
// URL-safe alphabet to '+' and '/'), 0 for white space, 0xff for others.
var b64Class = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") {
		t[c] = c
	}
	t['-'], t['_'] = '+', '/'
	t[' '], t['\t'], t['\r'], t['\n'] = 0, 0, 0, 0
	return t
}()

// plain marks the characters of the standard alphabet (not '=').
var plain = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = true
	}
	return t
}()

func (b *b64) feed(c byte) error {
	m := b64Class[c]
	switch {
	case m == 0:
		return nil
	case m == 0xff:
		return fmt.Errorf("%q is not base64", c)
	case m == '=':
		b.padded = true
	case b.padded:
		return errors.New("data after base64 padding")
	}
	b.buf[b.n] = m
	b.n++
	if b.n == len(b.buf) {
		return b.flush(false)
	}
	return nil
}

// flush decodes what is buffered; only the last flush may hold a partial
// quantum (missing padding).
func (b *b64) flush(last bool) error {
	src := b.buf[:b.n]
	out := b.out[:]
	enc := base64.StdEncoding
	if last {
		src = bytes.TrimRight(src, "=")
		enc = base64.RawStdEncoding
	}
	n, err := enc.Decode(out, src)
	if err != nil {
		return errors.New("invalid base64")
	}
	b.n = 0
	if n > 0 {
		if _, err := b.w.Write(out[:n]); err != nil {
			return err
		}
	}
	return nil
}

// decoder scans one JSON object from a stream.
type decoder struct {
	br     *bufio.Reader
	budget int // bytes left for the fields held in memory
	off    int64
}

func (d *decoder) readByte() (byte, error) {
	c, err := d.br.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, bad("the body ends at offset %d, inside the JSON", d.off)
		}
		return 0, &readError{err}
	}
	d.off++
	return c, nil
}

// next skips white space and returns the next byte.
func (d *decoder) next() (byte, error) {
	for {
		c, err := d.readByte()
		if err != nil || (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			return c, err
		}
	}
}

// object reads {"key": value, ...} and then requires the end of the body;
// field reads each value.
func (d *decoder) object(field func(key string) error) error {
	c, err := d.next()
	if err == nil && c == 0xEF { // a UTF-8 byte order mark
		if b, perr := d.br.Peek(2); perr == nil && string(b) == "\xBB\xBF" {
			_, _ = d.br.Discard(2)
			d.off += 2
			c, err = d.next()
		}
	}
	if err != nil {
		return err
	}
	if c != '{' {
		return bad("the body is not a JSON object")
	}
	first := true
	for {
		c, err := d.next()
		if err != nil {
			return err
		}
		if c == '}' && first {
			break
		}
		if c != '"' {
			return bad("want a field name at offset %d", d.off-1)
		}
		_ = d.br.UnreadByte()
		d.off--
		raw, err := d.raw()
		if err != nil {
			return err
		}
		var key string
		if err := json.Unmarshal(raw, &key); err != nil {
			return bad("bad field name at offset %d", d.off)
		}
		if c, err = d.next(); err != nil {
			return err
		} else if c != ':' {
			return bad("want ':' at offset %d", d.off-1)
		}
		if err := field(key); err != nil {
			return err
		}
		first = false
		if c, err = d.next(); err != nil {
			return err
		}
		if c == '}' {
			break
		}
		if c != ',' {
			return bad("want ',' or '}' at offset %d", d.off-1)
		}
	}
	for {
		c, err := d.br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &readError{err}
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return bad("data after the JSON object at offset %d", d.off)
		}
		d.off++
	}
}

// value reads one JSON value into memory, within the budget.
func (d *decoder) value() (any, error) {
	if _, err := d.next(); err != nil {
		return nil, err
	}
	_ = d.br.UnreadByte()
	d.off--
	raw, err := d.raw()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, bad("bad value before offset %d: %v", d.off, err)
	}
	return v, nil
}

// raw returns the text of the JSON value that starts at the next byte.
func (d *decoder) raw() ([]byte, error) {
	var out []byte
	depth, inString, escaped := 0, false, false
	for {
		if len(out) >= d.budget {
			return nil, bad("the fields besides the PDF exceed %d bytes", maxOtherFields)
		}
		if depth == 0 && !inString && len(out) > 0 {
			if out[0] == '"' || out[0] == '{' || out[0] == '[' {
				d.budget -= len(out)
				return out, nil // a string, object or array has ended
			}
			b, err := d.br.Peek(1)
			if errors.Is(err, io.EOF) || (err == nil && bytes.ContainsAny(b, ",}] \t\r\n")) {
				d.budget -= len(out)
				return out, nil // a number or literal has ended
			}
		}
		c, err := d.readByte()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth < 0 {
				return nil, bad("unbalanced %q at offset %d", c, d.off-1)
			}
		}
	}
}

// base64String streams a JSON string of base64 text into w, decoded. It
// returns the length of the string's text and of its base64 characters.
// It works on the reader's buffer a slice at a time: a report is tens of
// MiB.
func (d *decoder) base64String(w io.Writer, name string) (textLen, b64Len int64, err error) {
	c, err := d.next()
	if err != nil {
		return 0, 0, err
	}
	if c != '"' {
		return 0, 0, bad("field %q must hold the base64 PDF as a string", name)
	}
	dec := &b64{w: w}
	fail := func(err error) (int64, int64, error) {
		var we *writeError
		var re *reportError
		if errors.As(err, &we) || errors.As(err, &re) {
			return 0, 0, err
		}
		return 0, 0, bad("field %q: %v near offset %d", name, err, d.off)
	}
	// esc: 0 none; 1 after '\'; 2..5 reading the hex digits of \u.
	esc := 0
	var hex []byte
	for {
		chunk, rerr := d.br.ReadSlice('"')
		if rerr != nil && !errors.Is(rerr, bufio.ErrBufferFull) {
			if errors.Is(rerr, io.EOF) {
				return 0, 0, bad("the body ends inside field %q", name)
			}
			return 0, 0, &readError{rerr}
		}
		d.off += int64(len(chunk))
		for i := 0; i < len(chunk); i++ {
			if esc == 0 && !dec.padded {
				// The fast path: a run of plain base64 characters is
				// copied as it is.
				j := i
				for j < len(chunk) && plain[chunk[j]] {
					j++
				}
				for i < j {
					n := copy(dec.buf[dec.n:], chunk[i:j])
					dec.n += n
					i += n
					textLen += int64(n)
					b64Len += int64(n)
					if dec.n == len(dec.buf) {
						if err := dec.flush(false); err != nil {
							return fail(err)
						}
					}
				}
				if i == len(chunk) {
					break
				}
			}
			c := chunk[i]
			switch {
			case esc == 1:
				esc = 0
				switch c {
				case '/', '\\', '"':
				case 'n':
					c = '\n'
				case 'r':
					c = '\r'
				case 't':
					c = '\t'
				case 'u':
					esc, hex = 2, hex[:0]
					continue
				default:
					return 0, 0, bad("field %q: bad escape \\%c", name, c)
				}
			case esc >= 2:
				hex = append(hex, c)
				if esc++; esc < 6 {
					continue
				}
				esc = 0
				r, perr := strconv.ParseUint(string(hex), 16, 16)
				if perr != nil || r > 0x7f {
					return 0, 0, bad("field %q: \\u%s is not base64", name, hex)
				}
				c = byte(r)
			case c == '\\':
				esc = 1
				continue
			case c == '"' && i == len(chunk)-1:
				if err := dec.flush(true); err != nil {
					return fail(err)
				}
				return textLen, b64Len, nil
			}
			textLen++
			if b64Class[c] != 0 {
				b64Len++
			}
			if err := dec.feed(c); err != nil {
				return fail(err)
			}
		}
	}
}
