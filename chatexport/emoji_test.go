package chatexport

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/testtool"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/*.png from this machine's pdftoppm")

// longURL is wider than a message line: its link is wrapped over lines.
var longURL = "https://kb.example.com/articles/" + strings.Repeat("returns-and-refunds-", 8) + "final?ref=chat"

// emojiSession has every kind of emoji sequence, a code point no bundled
// emoji covers, and links.
func emojiSession() *Session {
	texts := []struct {
		role Role
		text string
	}{
		{Customer, "Danke 👍 und noch einmal 👍🏽!"},                        // skin tone
		{Agent, "Gern! Grüße an die Familie 👨‍👩‍👧 😊"},                    // ZWJ sequence
		{Customer, "Ich bestelle aus 🇵🇱 Polen, Option 1️⃣ bitte."},       // flag, keycap
		{Agent, "Wir ❤️ unsere Kunden ☺️ – ❤ bleibt Text, 😀😀 zusammen."}, // variation selectors
		{Customer, "Noten 𝄞 gibt es nicht als Emoji."},
		{Customer, "Mehr als eine Zeile des Bogens: 🎉 🙏 👌 🤝 ✅ 🚚 📦"}, // not covered
		{Agent, "Sendung: https://track.example.com/order/4711?lang=de. Fragen an support@example.com (oder https://kb.example.com/a/1)."},
		{Agent, "Anleitung: " + longURL + " – gern geschehen 🙂"},
	}
	s := &Session{
		ID: "chat-emoji-1", ClientsID: "1001", ChatConnectorID: "7", ChatConnectorName: "Webshop 🛒",
		Start: start, End: start.Add(3 * time.Minute),
		Participants: []Participant{{"Anna 🌻 Kowalska", Customer}, {"Jörg Müller", Agent}},
	}
	for i, m := range texts {
		sender := "Jörg Müller"
		if m.role == Customer {
			sender = "Anna 🌻 Kowalska"
		}
		s.Messages = append(s.Messages, Message{Time: start.Add(time.Duration(i) * 20 * time.Second), Sender: sender, Role: m.role, Text: m.text})
	}
	return s
}

// Every kind of sequence is one emoji of the set; a BMP symbol without
// U+FE0F stays text; only what the set lacks is uncovered.
func TestFindEmojiSequences(t *testing.T) {
	type span struct {
		seq   string
		entry int
	}
	find := func(s string) []span {
		var out []span
		findEmoji(s, func(a, b, e int) { out = append(out, span{s[a:b], e}) })
		return out
	}
	set := loadEmojiSet()
	for _, seq := range []string{"👍", "👍🏽", "👨‍👩‍👧", "🇵🇱", "1️⃣", "1⃣", "❤️", "☺️", "😀", "🏳️‍🌈", "👩🏾‍💻", "#️⃣", "🧑🏻‍🤝‍🧑🏿"} {
		got := find("a " + seq + " b")
		require.Len(t, got, 1, "%q is one emoji", seq)
		assert.Equal(t, seq, got[0].seq)
		assert.NotEqual(t, emojiUncovered, got[0].entry, "%q is covered", seq)
	}
	assert.Equal(t, "thumbs up sign, medium skin tone", set.entries[find("👍🏽")[0].entry].name)
	assert.Equal(t, "family: man, woman, girl", set.entries[find("👨‍👩‍👧")[0].entry].name)
	assert.NotEqual(t, find("👍")[0].entry, find("👍🏽")[0].entry, "a skin tone has its own image")
	assert.Empty(t, find("❤ © 1 # Zażółć ™"), "text presentation stays text")
	assert.Equal(t, []span{{"😀", find("😀")[0].entry}, {"😀", find("😀")[0].entry}}, find("😀😀"))
	assert.Equal(t, []span{{"𝄞", emojiUncovered}}, find("x𝄞y"))

	// Every sequence of the index is found whole, as its own entry: the
	// placeholder is never used for a covered emoji.
	for seq, e := range set.seq {
		got := find(seq)
		if assert.Len(t, got, 1, "%q", seq) {
			assert.Equal(t, span{seq, e}, got[0])
		}
	}
	assert.Greater(t, len(set.entries), 3700)
}

// The transcript reads back in order, with each emoji's own characters,
// and the placeholder is drawn only for the one uncovered code point.
func TestEmojiTranscriptText(t *testing.T) {
	s := emojiSession()
	r := newRenderer(s, RenderOptions{CreationDate: start}, fonts{regular: fontRegular, bold: fontBold, compress: true})
	r.session(s)
	require.NoError(t, r.pdf.Error())
	// 🛒, 🌻 and the emoji of the messages, once each in the sheet: more
	// than one row of it.
	assert.Len(t, r.sheet.cells, 19)
	var doc bytes.Buffer
	require.NoError(t, r.pdf.Output(&doc))
	assert.Equal(t, 1, r.placeholders, "only 𝄞 is a placeholder")
	path := filepath.Join(t.TempDir(), "emoji.pdf")
	require.NoError(t, os.WriteFile(path, doc.Bytes(), 0o600))

	text := words(run(t, "pdftotext", "-enc", "UTF-8", path, "-"))
	at := 0
	for _, m := range s.Messages {
		want := words(m.Text)
		if strings.Contains(m.Text, longURL) {
			// The long URL is wrapped: pdftotext puts its lines apart.
			want = words(strings.Replace(m.Text, longURL, "", 1))
			assert.Contains(t, strings.ReplaceAll(text, " ", ""), "Anleitung:"+longURL+"–gerngeschehen🙂")
		}
		if !strings.Contains(m.Text, longURL) {
			i := strings.Index(text[at:], want)
			require.GreaterOrEqual(t, i, 0, "%q in order in %s", want, text[at:])
			at += i + len(want)
		}
	}
	assert.Contains(t, text, "Chat transcript – Webshop 🛒")
	assert.Contains(t, text, "Anna 🌻 Kowalska (customer), Jörg Müller (agent)")
	assert.NotContains(t, text, Placeholder)
	assert.NotContains(t, text, ":thumbs_up_sign:", "ActualText replaces the invisible names")
}

// A reader that ignores ActualText gets the emoji's readable name from
// the invisible text layer, in place.
func TestEmojiNameLayer(t *testing.T) {
	s := &Session{ID: "x", Messages: []Message{{Sender: "a", Role: Customer, Text: "Danke 👍🏽 sehr"}}}
	r := newRenderer(s, RenderOptions{CreationDate: start}, fonts{regular: fontRegular, bold: fontBold})
	r.session(s)
	var doc bytes.Buffer
	require.NoError(t, r.pdf.Output(&doc))
	pdf := doc.Bytes()
	span := []byte("/Span <</ActualText <FEFFD83DDC4DD83CDFFD>>> BDC")
	require.Contains(t, string(pdf), string(span))
	assert.Regexp(t, `3 Tr \d+\.\d+ Tz\n(q [\d.]+ g )?BT [\d.]+ [\d.]+ Td \(.+\) Tj ET( Q)?\n0 Tr 100 Tz\nEMC`, string(pdf))
	// Renaming the key (same length: the offsets stay right) hides the
	// ActualText from pdftotext.
	pdf = bytes.Replace(pdf, span, bytes.Replace(span, []byte("ActualText"), []byte("ActualTexx"), 1), 1)
	path := filepath.Join(t.TempDir(), "names.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	text := words(run(t, "pdftotext", "-enc", "UTF-8", path, "-"))
	assert.Contains(t, text, "Danke :thumbs_up_sign_medium_skin_tone: sehr")
}

// Links become annotations with the right targets; a wrapped URL has one
// on each of its lines; trailing punctuation is not part of a link.
func TestLinkAnnotations(t *testing.T) {
	out := run(t, "pdfinfo", "-url", writePDF(t, emojiSession()))
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(l)
		require.Len(t, f, 3, l)
		assert.Equal(t, "Annotation", f[1])
		count[f[2]]++
	}
	assert.Equal(t, 1, count["https://track.example.com/order/4711?lang=de"])
	assert.Equal(t, 1, count["mailto:support@example.com"])
	assert.Equal(t, 1, count["https://kb.example.com/a/1"])
	assert.GreaterOrEqual(t, count[longURL], 2, "one annotation per line of the wrapped URL")
	assert.Len(t, count, 4, "%v", count)
}

// Emoji transcripts are byte-identical with a fixed date, and concurrent
// renders do not disturb each other.
func TestEmojiDeterministicAndConcurrent(t *testing.T) {
	want, err := RenderPDFBytes(emojiSession(), RenderOptions{CreationDate: start})
	require.NoError(t, err)
	var wg sync.WaitGroup
	out := make([][]byte, 4)
	for i := range out {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				out[i], err = RenderPDFBytes(emojiSession(), RenderOptions{CreationDate: start})
			} else {
				out[i], err = RenderPDFBytes(sampleSession(20), RenderOptions{CreationDate: start})
			}
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	plain, err := RenderPDFBytes(sampleSession(20), RenderOptions{CreationDate: start})
	require.NoError(t, err)
	for i := range out {
		if i%2 == 0 {
			assert.Equal(t, want, out[i], "render %d", i)
		} else {
			assert.Equal(t, plain, out[i], "render %d", i)
		}
	}
}

// The emoji transcript looks like testdata/emoji-page1.png: colour emoji
// in the lines, no placeholder boxes where an emoji is covered (go test
// -run TestEmojiGolden -update-golden rewrites it; look at it before
// committing).
func TestEmojiGolden(t *testing.T) {
	got := rasterise(t, writePDF(t, emojiSession()), 700)
	golden := filepath.Join("testdata", "emoji-page1.png")
	if *updateGolden {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	diff, differing := compareImages(t, want, got)
	assert.Less(t, diff, 2.0, "mean difference per channel (0-255)")
	assert.Less(t, differing, 0.005, "share of pixels that differ visibly")
}

// rasterise returns the top of page 1 of the PDF at path, height pixels
// high, as a PNG at 100 dpi.
func rasterise(t *testing.T, path string, height int) []byte {
	t.Helper()
	page := filepath.Join(t.TempDir(), "page")
	out, err := exec.Command(testtool.Require(t, "pdftoppm"), "-r", "100", "-f", "1", "-l", "1", "-png", "-singlefile",
		"-x", "0", "-y", "0", "-W", "827", "-H", strconv.Itoa(height), path, page).CombinedOutput()
	require.NoError(t, err, string(out))
	b, err := os.ReadFile(page + ".png")
	require.NoError(t, err)
	return b
}

// compareImages returns the mean absolute difference per channel and the
// share of pixels where a channel differs by more than 64.
func compareImages(t *testing.T, a, b []byte) (float64, float64) {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	require.NoError(t, err)
	ib, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, ia.Bounds(), ib.Bounds())
	var sum, differing float64
	bounds := ia.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			ca, cb := channels(ia, x, y), channels(ib, x, y)
			big := false
			for i := range ca {
				d := ca[i] - cb[i]
				if d < 0 {
					d = -d
				}
				sum += float64(d)
				big = big || d > 64
			}
			if big {
				differing++
			}
		}
	}
	n := float64(bounds.Dx() * bounds.Dy())
	return sum / (3 * n), differing / n
}

func channels(img image.Image, x, y int) [3]int {
	if rgb, ok := img.(*image.RGBA); ok { // what pdftoppm writes, read fast
		i := rgb.PixOffset(x, y)
		return [3]int{int(rgb.Pix[i]), int(rgb.Pix[i+1]), int(rgb.Pix[i+2])}
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

// The golden comparison notices a missing emoji.
func TestCompareImagesNoticesAnEmoji(t *testing.T) {
	render := func(text string) []byte {
		return rasterise(t, writePDF(t, &Session{ID: "x", Messages: []Message{{Sender: "a", Role: Customer, Text: text}}}), 400)
	}
	a, b := render("Danke 👍👍👍👍"), render("Danke 𝄞𝄞𝄞𝄞")
	_, differing := compareImages(t, a, b)
	assert.Greater(t, differing, 0.0005, fmt.Sprintf("%.5f", differing))
}
