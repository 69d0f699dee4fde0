package chatexport

import (
	"bytes"
	_ "embed" // the Twemoji sheet and its index
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// Twemoji (CC-BY 4.0, emoji/LICENSE) as one sheet of 32 px images in
// 34 px cells, from the npm package emoji-datasource-twitter; emoji/gen.go
// rebuilds both files.
var (
	//go:embed emoji/index.tsv
	emojiIndexTSV string
	//go:embed emoji/twemoji-32.png
	emojiSheetPNG []byte
)

const (
	emojiCell = 34 // px, a sheet cell: the image and 1 px of padding around it
	emojiPx   = 32 // px, the image in a cell
	// emojiCols is the width in cells of a document's own sheet.
	emojiCols = 16
	// emojiAdvance is the width an emoji takes in a line, in ems; it is
	// drawn one em wide and high.
	emojiAdvance = 1.1
)

// emojiEntry is one sequence of the bundled set: its cell in the sheet and
// a readable name.
type emojiEntry struct {
	x, y int
	name string
}

// emojiSet is the parsed index: every sequence (fully qualified, and
// unqualified where that is unambiguous) to its entry.
type emojiSet struct {
	entries []emojiEntry
	seq     map[string]int
	// longest is, per first code point, the most code points a sequence
	// starting with it has; 0 when none starts with it.
	longest map[rune]int
}

var loadEmojiSet = sync.OnceValue(func() *emojiSet {
	set := &emojiSet{seq: make(map[string]int, 4000), longest: make(map[rune]int, 1500)}
	cells := make(map[[2]int]int)
	for line := range strings.Lines(emojiIndexTSV) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) != 4 {
			continue
		}
		x, errX := strconv.Atoi(f[1])
		y, errY := strconv.Atoi(f[2])
		if errX != nil || errY != nil {
			continue
		}
		var seq []rune
		for _, h := range strings.Split(f[0], "-") {
			c, err := strconv.ParseUint(h, 16, 32)
			if err != nil {
				seq = nil
				break
			}
			seq = append(seq, rune(c))
		}
		if len(seq) == 0 {
			continue
		}
		i, ok := cells[[2]int{x, y}]
		if !ok {
			i = len(set.entries)
			cells[[2]int{x, y}] = i
			set.entries = append(set.entries, emojiEntry{x: x, y: y, name: f[3]})
		}
		set.seq[string(seq)] = i
		set.longest[seq[0]] = max(set.longest[seq[0]], len(seq))
	}
	return set
})

// loadEmojiSheet decodes the bundled sheet, once per process.
var loadEmojiSheet = sync.OnceValues(func() (image.Image, error) {
	return png.Decode(bytes.NewReader(emojiSheetPNG))
})

// emojiUncovered marks a code point above U+FFFF that no bundled emoji
// covers: it is drawn as Placeholder.
const emojiUncovered = -1

// findEmoji calls fn for every emoji sequence in s, longest match first,
// with its byte range and entry, or emojiUncovered for a code point above
// U+FFFF that the set does not cover. Everything between the calls is
// text that fpdf can draw.
func findEmoji(s string, fn func(start, end, entry int)) {
	set := loadEmojiSet()
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if n := set.longest[c]; n > 0 {
			// The byte ends of up to n code points from i.
			var ends [16]int
			k, j := 0, i
			for k < min(n, len(ends)) && j < len(s) {
				_, sz := utf8.DecodeRuneInString(s[j:])
				j += sz
				ends[k] = j
				k++
			}
			matched := false
			for ; k > 0; k-- {
				if e, ok := set.seq[s[i:ends[k-1]]]; ok {
					fn(i, ends[k-1], e)
					i = ends[k-1]
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		if c > 0xFFFF {
			fn(i, i+size, emojiUncovered)
		}
		i += size
	}
}

// emojiSheet is the part of the bundled sheet one session uses, registered
// as a single image of the document: fpdf orders a document's images by
// width and then by map order, so that one image per session is what keeps
// the output byte-identical.
type emojiSheet struct {
	name  string
	cells map[int]int // entry → cell in this sheet
	w, h  int         // px
}

// prepareEmoji registers the sheet of every emoji that texts use, in the
// order they first appear.
func (r *renderer) prepareEmoji(texts ...string) {
	r.sheet = emojiSheet{}
	var used []int
	cells := make(map[int]int)
	for _, t := range texts {
		findEmoji(t, func(_, _, e int) {
			if _, ok := cells[e]; !ok && e != emojiUncovered {
				cells[e] = len(used)
				used = append(used, e)
			}
		})
	}
	if len(used) == 0 {
		return
	}
	src, err := loadEmojiSheet()
	if err != nil {
		r.pdf.SetError(fmt.Errorf("decoding the emoji sheet: %w", err))
		return
	}
	set := loadEmojiSet()
	cols := min(len(used), emojiCols)
	rows := (len(used) + emojiCols - 1) / emojiCols
	dst := image.NewNRGBA(image.Rect(0, 0, cols*emojiCell, rows*emojiCell))
	for i, e := range used {
		at := image.Pt(i%emojiCols*emojiCell, i/emojiCols*emojiCell)
		from := image.Pt(set.entries[e].x*emojiCell, set.entries[e].y*emojiCell)
		draw.Draw(dst, image.Rectangle{Min: at, Max: at.Add(image.Pt(emojiCell, emojiCell))}, src, from, draw.Src)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.NoCompression} // fpdf compresses it again
	if err := enc.Encode(&buf, dst); err != nil {
		r.pdf.SetError(fmt.Errorf("encoding the emoji sheet: %w", err))
		return
	}
	r.sheets++
	r.sheet = emojiSheet{name: "emoji-" + strconv.Itoa(r.sheets), cells: cells, w: dst.Rect.Dx(), h: dst.Rect.Dy()}
	r.pdf.RegisterImageOptionsReader(r.sheet.name, fpdf.ImageOptions{ImageType: "png"}, &buf)
}

// drawEmoji draws entry e as an em-sized square with its top left corner
// at x, y: the session's sheet, clipped to the entry's cell.
func (r *renderer) drawEmoji(e int, x, y, em float64) {
	i, ok := r.sheet.cells[e]
	if !ok {
		return
	}
	scale := em / emojiPx
	col, row := i%emojiCols, i/emojiCols
	p := r.pdf
	p.ClipRect(x, y, em, em, false)
	// fpdf takes a negative image position for "here": the sheet is moved
	// by a transformation instead.
	p.TransformBegin()
	p.TransformTranslate(-float64(col*emojiCell)*scale, -float64(row*emojiCell)*scale)
	p.ImageOptions(r.sheet.name, x-scale, y-scale, float64(r.sheet.w)*scale, float64(r.sheet.h)*scale,
		false, fpdf.ImageOptions{ImageType: "png"}, 0, "")
	p.TransformEnd()
	p.ClipEnd()
}

// actualText opens a marked-content span whose text, for extraction and
// copying, is s (the emoji's own characters).
func actualText(s string) string {
	var b strings.Builder
	b.WriteString("/Span <</ActualText <FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">>> BDC")
	return b.String()
}
