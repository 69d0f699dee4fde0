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

// Placeholder is drawn for a code point above U+FFFF that no bundled
// emoji covers (fpdf fails the whole document on such runes, and DejaVu
// Sans has no glyphs for them); extracting the text still gives the
// original character.
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
// apart by colour, a page header and a "Page X of Y" footer.
//
// Emoji are drawn inline at the text's size from the bundled Twemoji set
// (colour images, CC-BY 4.0): sequences count as one emoji (skin tones,
// ZWJ families, flags, keycaps, U+FE0F variants), and extracting or
// copying the text gives their characters (an ActualText span, over an
// invisible text layer with the emoji's name, ":thumbs_up_sign:", for
// readers that ignore ActualText). A code point above U+FFFF that the set
// does not cover is drawn as Placeholder. http(s) URLs and e-mail
// addresses become link annotations (mailto: for addresses), also when
// wrapped over several lines. The first transcript with an emoji decodes
// the bundled sheet (about 0.1 s; 4.4 MB kept for the process).
//
// Any text is accepted: invalid UTF-8 and control characters are dropped,
// and very long words are broken. It is safe to call concurrently.
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
	texts := []string{s.ID, s.ChatConnectorName, s.ChatConnectorID, s.ClientsID}
	for _, pt := range s.Participants {
		texts = append(texts, pt.Name, string(pt.Role))
	}
	for _, k := range s.PDataNames() {
		texts = append(texts, k, s.PData[k])
	}
	for i := range s.Messages {
		texts = append(texts, s.Messages[i].Sender, string(s.Messages[i].Role), s.Messages[i].Text)
	}
	r.prepareEmoji(texts...)
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
	// sheet holds the emoji the current session uses; sheets counts the
	// sheets of the document.
	sheet  emojiSheet
	sheets int
	// placeholders counts the Placeholder glyphs laid out (tests).
	placeholders int
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
	y := p.GetY()
	r.oneLine(pageMargin, y, lineHeight, sanitize("Chat transcript – "+r.s.ChatConnectorName), false)
	p.SetFont("dejavu", "", 9)
	r.oneLine(pageMargin+r.width(), y, lineHeight, sanitize("Session "+r.s.ID), true)
	y += lineHeight + 1
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
	r.flow(pageMargin, r.width(), 7, sanitize("Chat session "+s.ID), false)
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
	r.flow(x, labelWidth, lineHeight, sanitize(name), false)
	afterLabel := p.GetY()
	p.SetXY(x+labelWidth, y)
	p.SetFont("dejavu", "", 9)
	p.SetTextColor(0, 0, 0)
	r.flow(x+labelWidth, r.width()-labelWidth, lineHeight, sanitize(value), false)
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
	r.flow(pageMargin, r.width(), lineHeight, sanitize(r.when(m.Time, "15:04:05")+"  "+m.Sender+" ("+role+")"), false)
	p.SetFont("dejavu", "", 10)
	p.SetTextColor(0, 0, 0)
	p.SetFillColor(style.fill[0], style.fill[1], style.fill[2])
	r.flow(pageMargin+indent, r.width()-indent, lineHeight, sanitize(m.Text), true)
	p.Ln(2)
}

// sanitize drops invalid UTF-8 and control characters (newlines kept,
// tabs as four spaces); the layout draws what is above U+FFFF.
func sanitize(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
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

// clean is sanitize with runes above U+FFFF as Placeholder, for what only
// fpdf writes (the document title).
func clean(s string) string {
	s = sanitize(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		if c > 0xFFFF {
			b.WriteString(Placeholder)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
