package chatexport

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// fpdf's MultiCell can neither mix images with text nor mark a link
// inside a paragraph, so paragraphs are laid out here: words of pieces
// (text runs, emoji, placeholders, each maybe part of a link) filled into
// lines, drawn with Text, the emoji sheet and LinkString.

// piece is a run that is drawn in one go.
type piece struct {
	text  string  // a text run for fpdf: never a rune above U+FFFF
	seq   string  // emoji or placeholder: the original characters
	emoji int     // emoji: its entry; emojiUncovered for a placeholder; noEmoji for text
	link  string  // the link target, or ""
	w     float64 // width in mm
	gap   int     // how many spaces come before it on its line
}

const noEmoji = -2

// links finds http(s) URLs and e-mail addresses.
var links = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+|[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}`)

// linkTarget trims what usually follows a link in a sentence off match,
// and returns the length kept and the target.
func linkTarget(match string) (int, string) {
	n := len(match)
	for n > 0 {
		c := match[n-1]
		if c == ')' && strings.Count(match[:n], "(") >= strings.Count(match[:n], ")") {
			break
		}
		if !strings.ContainsRune(".,;:!?'\")]}", rune(c)) {
			break
		}
		n--
	}
	m := match[:n]
	if strings.Contains(m, "://") {
		if strings.HasSuffix(m, "://") {
			return 0, ""
		}
		return n, m
	}
	return n, "mailto:" + m
}

// words splits one line of clean text (no newline) into words of pieces.
func (r *renderer) words(line string) [][]piece {
	var out [][]piece
	for w := range strings.SplitSeq(line, " ") {
		var ps []piece
		rest := w
		if !strings.Contains(rest, "://") && !strings.Contains(rest, "@") {
			out = append(out, r.appendPieces(nil, rest, ""))
			continue
		}
		for rest != "" {
			loc := links.FindStringIndex(rest)
			if loc == nil {
				ps = r.appendPieces(ps, rest, "")
				break
			}
			n, target := linkTarget(rest[loc[0]:loc[1]])
			if n == 0 {
				ps = r.appendPieces(ps, rest[:loc[1]], "")
				rest = rest[loc[1]:]
				continue
			}
			ps = r.appendPieces(ps, rest[:loc[0]], "")
			ps = r.appendPieces(ps, rest[loc[0]:loc[0]+n], target)
			rest = rest[loc[0]+n:]
		}
		out = append(out, ps)
	}
	return out
}

// dropSelectors removes variation selectors that no emoji took.
var dropSelectors = strings.NewReplacer("\uFE0F", "", "\uFE0E", "")

// appendPieces cuts s into text, emoji and placeholder pieces.
func (r *renderer) appendPieces(ps []piece, s, link string) []piece {
	em := r.em()
	last := 0
	text := func(t string) {
		t = dropSelectors.Replace(t)
		if t != "" {
			ps = append(ps, piece{text: t, emoji: noEmoji, link: link, w: r.pdf.GetStringWidth(t)})
		}
	}
	findEmoji(s, func(start, end, e int) {
		text(s[last:start])
		last = end
		if e == emojiUncovered {
			ps = append(ps, piece{text: Placeholder, seq: s[start:end], emoji: e, link: link, w: r.pdf.GetStringWidth(Placeholder)})
			r.placeholders++
			return
		}
		ps = append(ps, piece{seq: s[start:end], emoji: e, link: link, w: em * emojiAdvance})
	})
	text(s[last:])
	return ps
}

// em is the current font size in mm.
func (r *renderer) em() float64 {
	_, mm := r.pdf.GetFontSize()
	return mm
}

// layout fills the words of text into lines of at most width; a word
// wider than a line is broken between characters (a URL or a key pasted
// into the chat).
func (r *renderer) layout(text string, width float64) [][]piece {
	limit := width - 2*r.pdf.GetCellMargin() - 1
	space := r.pdf.GetStringWidth(" ")
	var lines [][]piece
	for para := range strings.SplitSeq(text, "\n") {
		var cur []piece
		used, firstLine, spaces := 0.0, true, 0
		newline := func() {
			lines = append(lines, cur)
			cur, used, firstLine = nil, 0, false
		}
		for j, word := range r.words(para) {
			if j > 0 {
				spaces++
			}
			if len(word) == 0 {
				continue
			}
			ww := 0.0
			for _, p := range word {
				ww += p.w
			}
			// Spaces are kept between words and at the start of a
			// paragraph, dropped where a line wraps.
			gap := spaces
			spaces = 0
			if len(cur) == 0 && !firstLine {
				gap = 0
			}
			gapW := float64(gap) * space
			switch {
			case used+gapW+ww <= limit:
			case len(cur) > 0 && ww <= limit:
				newline()
				gap, gapW = 0, 0
			case len(cur) > 0:
				// Too wide for any line: start it on this one if some of
				// it fits, else on the next.
				if used+gapW+r.firstWidth(word) > limit {
					newline()
					gap, gapW = 0, 0
				}
			case used+gapW > limit/2:
				gap, gapW = 0, 0
			}
			used += gapW
			for i, p := range word {
				if i == 0 {
					p.gap = gap
				}
				if used+p.w <= limit || (len(cur) == 0 && p.emoji != noEmoji) {
					cur = append(cur, p)
					used += p.w
					continue
				}
				if p.emoji != noEmoji {
					newline()
					p.gap = 0
					cur, used = []piece{p}, p.w
					continue
				}
				// Break a text run between characters.
				rest := p.text
				for rest != "" {
					n, w := r.fit(rest, limit-used)
					if n == 0 && len(cur) > 0 {
						newline()
						continue
					}
					if n == 0 {
						_, n = utf8.DecodeRuneInString(rest)
						w = r.pdf.GetStringWidth(rest[:n])
					}
					q := p
					q.text, q.w = rest[:n], w
					if rest != p.text || len(cur) == 0 && !firstLine {
						q.gap = 0
					}
					cur = append(cur, q)
					used += w
					rest = rest[n:]
				}
			}
		}
		lines = append(lines, cur)
	}
	return lines
}

// firstWidth is the width of a word's first piece's first character.
func (r *renderer) firstWidth(word []piece) float64 {
	if len(word) == 0 {
		return 0
	}
	if word[0].emoji != noEmoji {
		return word[0].w
	}
	_, n := utf8.DecodeRuneInString(word[0].text)
	return r.pdf.GetStringWidth(word[0].text[:n])
}

// fit returns how many bytes of s fit into width, and their width.
func (r *renderer) fit(s string, width float64) (int, float64) {
	used := 0.0
	for i, c := range s {
		w := r.pdf.GetStringWidth(string(c))
		if used+w > width {
			return i, used
		}
		used += w
	}
	return len(s), used
}

// flow writes text as a paragraph at x, width wide, in lines of height h,
// from the current y on, breaking pages as needed; fill paints each line
// with the fill colour, as MultiCell does. It ends at the left margin
// under the last line.
func (r *renderer) flow(x, width, h float64, text string, fill bool) {
	p := r.pdf
	_, pageH := p.GetPageSize()
	_, bottom := p.GetAutoPageBreak()
	for _, line := range r.layout(text, width) {
		if p.GetY()+h > pageH-bottom {
			p.AddPage()
		}
		y := p.GetY()
		if fill {
			p.Rect(x, y, width, h, "F")
		}
		r.drawLine(x+p.GetCellMargin(), y, h, line)
		left, _, _, _ := p.GetMargins()
		p.SetXY(left, y+h)
	}
}

// oneLine writes text on one line at y, left-aligned at x or, with
// right, ending at x.
func (r *renderer) oneLine(x, y, h float64, text string, right bool) {
	var line []piece
	for _, l := range r.layout(strings.ReplaceAll(text, "\n", " "), 1e6) {
		line = append(line, l...)
	}
	if right {
		for _, pc := range line {
			x -= pc.w + float64(pc.gap)*r.pdf.GetStringWidth(" ")
		}
		x -= r.pdf.GetCellMargin()
	} else {
		x += r.pdf.GetCellMargin()
	}
	r.drawLine(x, y, h, line)
}

// linkColour is the text colour of links.
var linkColour = [3]int{0x0b, 0x57, 0xd0}

// drawLine draws a line's pieces from x on, in a line of height h at y,
// with the baseline where CellFormat puts it, and the link annotations.
func (r *renderer) drawLine(x, y, h float64, line []piece) {
	p := r.pdf
	em := r.em()
	base := y + .5*h + .3*em
	space := p.GetStringWidth(" ")
	tr, tg, tb := p.GetTextColor()
	linkStart, link := 0.0, ""
	endLink := func(at float64) {
		if link != "" {
			p.LinkString(linkStart, y, at-linkStart, h, link)
		}
		link = ""
	}
	for i := 0; i < len(line); i++ {
		pc := line[i]
		x += float64(pc.gap) * space
		if pc.link != link {
			endLink(x)
			link, linkStart = pc.link, x
		}
		if pc.link != "" {
			p.SetTextColor(linkColour[0], linkColour[1], linkColour[2])
		}
		switch pc.emoji {
		case noEmoji:
			// One Text call for the words up to the next emoji or link edge.
			text := pc.text
			for i+1 < len(line) && line[i+1].emoji == noEmoji && line[i+1].link == pc.link {
				i++
				text += strings.Repeat(" ", line[i].gap)
				pc.w += float64(line[i].gap) * space
				text += line[i].text
				pc.w += line[i].w
			}
			p.Text(x, base, text)
		case emojiUncovered:
			p.RawWriteStr(actualText(pc.seq))
			p.Text(x, base, pc.text)
			p.RawWriteStr("EMC")
		default:
			p.RawWriteStr(actualText(pc.seq))
			r.drawEmoji(pc.emoji, x+(pc.w-em)/2, base-.86*em, em)
			// An invisible text layer under the emoji: its readable name,
			// squeezed to the emoji's width. Extraction gives the span's
			// ActualText instead, where the reader knows ActualText.
			name := shortcode(loadEmojiSet().entries[pc.emoji].name)
			if w := p.GetStringWidth(name); w > 0 {
				p.RawWriteStr(fmt.Sprintf("3 Tr %.3f Tz", 100*pc.w/w))
				p.Text(x, base, name)
				p.RawWriteStr("0 Tr 100 Tz")
			}
			p.RawWriteStr("EMC")
		}
		if pc.link != "" {
			p.SetTextColor(tr, tg, tb)
		}
		x += pc.w
	}
	endLink(x)
}

// shortcode makes an emoji's name one word, as chat apps write them:
// "family: man, woman, girl" is ":family_man_woman_girl:". A squeezed
// space would not survive extraction.
func shortcode(name string) string {
	return ":" + strings.Join(strings.FieldsFunc(name, func(c rune) bool { return c == ' ' || c == ',' || c == ':' }), "_") + ":"
}
