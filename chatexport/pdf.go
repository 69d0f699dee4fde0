package chatexport

import (
	"bytes"
	_ "embed" // the DejaVu Sans fonts
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"

	"github.com/contactkit/contactkit"
)

// DejaVu Sans (Bitstream Vera licence, fonts/LICENSE) is embedded and
// loaded from bytes: fpdf mangles absolute font paths.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

// Placeholder stands in for runes above U+FFFF (emoji and the like): no
// usable font has glyphs for them, and fpdf fails the whole document on
// them.
const Placeholder = "\uFFFD"

// RenderOptions tune the transcript.
type RenderOptions struct {
	// CreationDate is written into the PDF; fix it for byte-identical
	// output (golden tests). Zero means now.
	CreationDate time.Time
	// Location is the zone times are printed in; nil prints them in their
	// own zone.
	Location *time.Location
}

const (
	pageMargin = 15.0 // mm
	lineHeight = 5.0  // mm
	indent     = 6.0  // mm, message text under its sender line
)

// Colours of the roles, so agent and customer lines differ at a glance.
var roleStyle = map[Role]struct {
	text [3]int
	fill [3]int
}{
	Agent:    {text: [3]int{0x1f, 0x4e, 0x8c}, fill: [3]int{0xe8, 0xf0, 0xfb}},
	Customer: {text: [3]int{0x2d, 0x6a, 0x2f}, fill: [3]int{0xf2, 0xf2, 0xf2}},
	Bot:      {text: [3]int{0x6b, 0x4c, 0x9a}, fill: [3]int{0xf3, 0xee, 0xfa}},
	System:   {text: [3]int{0x66, 0x66, 0x66}, fill: [3]int{0xff, 0xff, 0xff}},
}

// RenderPDF writes the session's transcript as a PDF: a header block
// (connector, session id, start, end, duration, participants, pdata), then
// every message with its time and sender, agent and customer lines set
// apart by colour, a page header and a "Page X of Y" footer. Any text is
// accepted: runes above U+FFFF become Placeholder, invalid UTF-8 and
// control characters are dropped, and very long words are broken. It is
// safe to call concurrently.
func RenderPDF(w io.Writer, s *Session, opts RenderOptions) error {
	return render(w, s, opts, fonts{regular: fontRegular, bold: fontBold, compress: true})
}

// fonts is what a document embeds.
type fonts struct {
	regular, bold []byte
	compress      bool
}

func render(w io.Writer, s *Session, opts RenderOptions, f fonts) error {
	if s == nil {
		return &contactkit.ValidationError{Field: "session", Reason: "is nil"}
	}
	r := newRenderer(s, opts, f)
	r.session(s)
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("contactkit: chatexport: rendering PDF: %w", err)
	}
	if err := r.pdf.Output(w); err != nil {
		return fmt.Errorf("contactkit: chatexport: writing PDF: %w", err)
	}
	return nil
}

// newRenderer starts a document for s, with its fonts loaded.
func newRenderer(s *Session, opts RenderOptions, f fonts) *renderer {
	pdf := fpdf.New("P", "mm", "A4", "")
	created := opts.CreationDate
	if created.IsZero() {
		created = time.Now()
	}
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("contactkit chatexport", false)
	pdf.SetTitle(clean("Chat "+s.ID), true)
	pdf.SetCompression(f.compress)
	pdf.AddUTF8FontFromBytes("dejavu", "", f.regular)
	pdf.AddUTF8FontFromBytes("dejavu", "B", f.bold)
	pdf.SetMargins(pageMargin, pageMargin+8, pageMargin)
	pdf.SetAutoPageBreak(true, pageMargin+5)
	pdf.AliasNbPages("{nb}")
	r := &renderer{pdf: pdf, s: s, loc: opts.Location}
	pdf.SetHeaderFuncMode(r.pageHeader, false)
	pdf.SetFooterFunc(r.pageFooter)
	return r
}

// session lays out s from a new page on. The fuzz harness lays out many
// sessions in one document, so that loading the fonts and writing the
// file (most of the cost of a small transcript) is paid once per batch.
func (r *renderer) session(s *Session) {
	r.s = s
	r.pdf.AddPage()
	r.headerBlock()
	for i := range s.Messages {
		r.message(&s.Messages[i])
	}
}

// RenderPDFBytes is RenderPDF into memory.
func RenderPDFBytes(s *Session, opts RenderOptions) ([]byte, error) {
	var b bytes.Buffer
	if err := RenderPDF(&b, s, opts); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type renderer struct {
	pdf *fpdf.Fpdf
	s   *Session
	loc *time.Location
}

func (r *renderer) width() float64 {
	w, _ := r.pdf.GetPageSize()
	return w - 2*pageMargin
}

func (r *renderer) pageHeader() {
	p := r.pdf
	p.SetY(pageMargin - 2)
	p.SetFont("dejavu", "B", 9)
	p.SetTextColor(0x44, 0x44, 0x44)
	p.CellFormat(r.width()/2, lineHeight, clean("Chat transcript – "+r.s.ChatConnectorName), "", 0, "L", false, 0, "")
	p.SetFont("dejavu", "", 9)
	p.CellFormat(r.width()/2, lineHeight, clean("Session "+r.s.ID), "", 1, "R", false, 0, "")
	y := p.GetY() + 1
	p.SetDrawColor(0xbb, 0xbb, 0xbb)
	p.Line(pageMargin, y, pageMargin+r.width(), y)
	p.SetY(y + 3)
}

func (r *renderer) pageFooter() {
	p := r.pdf
	_, h := p.GetPageSize()
	p.SetY(h - pageMargin)
	p.SetFont("dejavu", "", 8)
	p.SetTextColor(0x66, 0x66, 0x66)
	p.CellFormat(r.width(), lineHeight, fmt.Sprintf("Page %d of {nb}", p.PageNo()), "", 0, "C", false, 0, "")
}

func (r *renderer) when(t time.Time, layout string) string {
	if t.IsZero() {
		return "–"
	}
	if r.loc != nil {
		t = t.In(r.loc)
	}
	return t.Format(layout)
}

// headerBlock prints what the session is, before the messages.
func (r *renderer) headerBlock() {
	p, s := r.pdf, r.s
	p.SetFont("dejavu", "B", 14)
	p.SetTextColor(0, 0, 0)
	p.MultiCell(r.width(), 7, clean("Chat session "+s.ID), "", "L", false)
	p.Ln(2)
	var parts []string
	for _, pt := range s.Participants {
		parts = append(parts, pt.Name+" ("+string(pt.Role)+")")
	}
	rows := [][2]string{
		{"Chat connector", strings.TrimSpace(s.ChatConnectorName + " (id " + s.ChatConnectorID + ")")},
		{"Client account", s.ClientsID},
		{"Start", r.when(s.Start, "2006-01-02 15:04:05 MST")},
		{"End", r.when(s.End, "2006-01-02 15:04:05 MST")},
		{"Duration", s.Duration().Round(time.Second).String()},
		{"Participants", strings.Join(parts, ", ")},
	}
	for _, name := range s.PDataNames() {
		rows = append(rows, [2]string{"pdata." + name, s.PData[name]})
	}
	for _, row := range rows {
		r.field(row[0], row[1])
	}
	y := p.GetY() + 2
	p.SetDrawColor(0xbb, 0xbb, 0xbb)
	p.Line(pageMargin, y, pageMargin+r.width(), y)
	p.SetY(y + 4)
}

func (r *renderer) field(name, value string) {
	p := r.pdf
	const labelWidth = 38.0
	p.SetFont("dejavu", "B", 9)
	p.SetTextColor(0x44, 0x44, 0x44)
	x, y := p.GetXY()
	p.MultiCell(labelWidth, lineHeight, clean(name), "", "L", false)
	afterLabel := p.GetY()
	p.SetXY(x+labelWidth, y)
	p.SetFont("dejavu", "", 9)
	p.SetTextColor(0, 0, 0)
	p.MultiCell(r.width()-labelWidth, lineHeight, breakLongWords(p, clean(value), r.width()-labelWidth), "", "L", false)
	if afterLabel > p.GetY() {
		p.SetY(afterLabel)
	}
}

// message prints "time  sender (role)" and the text under it, on the
// role's background.
func (r *renderer) message(m *Message) {
	p := r.pdf
	style, ok := roleStyle[m.Role]
	if !ok {
		style = roleStyle[System]
	}
	p.SetFont("dejavu", "B", 9)
	p.SetTextColor(style.text[0], style.text[1], style.text[2])
	role := string(m.Role)
	if role == "" {
		role = "unknown"
	}
	p.MultiCell(r.width(), lineHeight, clean(r.when(m.Time, "15:04:05")+"  "+m.Sender+" ("+role+")"), "", "L", false)
	p.SetFont("dejavu", "", 10)
	p.SetTextColor(0, 0, 0)
	p.SetFillColor(style.fill[0], style.fill[1], style.fill[2])
	p.SetX(pageMargin + indent)
	text := breakLongWords(p, clean(m.Text), r.width()-indent)
	if text == "" {
		text = " "
	}
	p.MultiCell(r.width()-indent, lineHeight, text, "", "L", true)
	p.Ln(2)
}

// clean makes any text safe for fpdf: invalid UTF-8 and control
// characters are dropped (newlines and tabs kept as such), and runes above
// U+FFFF become Placeholder.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c > 0xFFFF:
			b.WriteString(Placeholder)
		case c == '\n':
			b.WriteRune(c)
		case c == '\t':
			b.WriteString("    ")
		case c == '\r' || unicode.IsControl(c) || (c >= 0xD800 && c <= 0xDFFF):
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// breakLongWords inserts spaces into words wider than width, so that
// MultiCell can wrap them (a URL or a key pasted into the chat).
func breakLongWords(p *fpdf.Fpdf, s string, width float64) string {
	limit := width - 2*p.GetCellMargin() - 1
	var out strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			out.WriteByte('\n')
		}
		for j, word := range strings.Split(line, " ") {
			if j > 0 {
				out.WriteByte(' ')
			}
			if p.GetStringWidth(word) <= limit {
				out.WriteString(word)
				continue
			}
			var piece strings.Builder
			for _, c := range word {
				if piece.Len() > 0 && p.GetStringWidth(piece.String()+string(c)) > limit {
					out.WriteString(piece.String())
					out.WriteByte(' ')
					piece.Reset()
				}
				piece.WriteRune(c)
			}
			out.WriteString(piece.String())
		}
	}
	return out.String()
}
