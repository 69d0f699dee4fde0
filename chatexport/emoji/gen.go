//go:build ignore

// gen.go rebuilds index.tsv and twemoji-32.png from the npm package
// emoji-datasource-twitter (npm pack emoji-datasource-twitter@16.0.0, then
// tar xzf): go run gen.go /tmp/package. The sheet is the package's
// img/twitter/sheets-clean/32.png (34 px cells: 32 px images with 1 px of
// transparent padding), reduced to a 256-colour palette (pngquant --speed 1 --nofs)
// when it is installed.
//
// index.tsv has one line per sequence: the code points in hex joined by
// "-", the cell's column and row, and a readable name. Fully qualified and
// multi-code-point unqualified forms are listed; a lone BMP code point
// whose emoji form needs U+FE0F (❤, ©, ☺) is not, so that it stays text.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

type entry struct {
	Name          string            `json:"name"`
	Unified       string            `json:"unified"`
	NonQualified  *string           `json:"non_qualified"`
	SheetX        int               `json:"sheet_x"`
	SheetY        int               `json:"sheet_y"`
	HasTwitter    bool              `json:"has_img_twitter"`
	SkinVariation map[string]*entry `json:"skin_variations"`
}

var tones = map[string]string{
	"1F3FB": "light skin tone", "1F3FC": "medium-light skin tone", "1F3FD": "medium skin tone",
	"1F3FE": "medium-dark skin tone", "1F3FF": "dark skin tone",
}

func main() {
	dir := os.Args[1]
	raw, err := os.ReadFile(filepath.Join(dir, "emoji.json"))
	check(err)
	var all []entry
	check(json.Unmarshal(raw, &all))
	var lines []string
	add := func(e *entry, name string) {
		if !e.HasTwitter {
			return
		}
		lines = append(lines, fmt.Sprintf("%s\t%d\t%d\t%s", e.Unified, e.SheetX, e.SheetY, name))
		if e.NonQualified != nil && (strings.Contains(*e.NonQualified, "-") || len(*e.NonQualified) > 4) {
			lines = append(lines, fmt.Sprintf("%s\t%d\t%d\t%s", *e.NonQualified, e.SheetX, e.SheetY, name))
		}
	}
	for i := range all {
		e := &all[i]
		name := strings.ToLower(e.Name)
		add(e, name)
		for key, v := range e.SkinVariation {
			var ts []string
			for _, t := range strings.Split(key, "-") {
				ts = append(ts, tones[t])
			}
			if len(ts) == 2 && ts[0] == ts[1] {
				ts = ts[:1]
			}
			add(v, name+", "+strings.Join(ts, ", "))
		}
	}
	sort.Strings(lines)
	check(os.WriteFile("index.tsv", []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	sheet := filepath.Join(dir, "img/twitter/sheets-clean/32.png")
	if _, err := exec.LookPath("pngquant"); err == nil {
		check(exec.Command("pngquant", "--speed", "1", "--nofs", "--force", "-o", "twemoji-32.png", sheet).Run())
		return
	}
	raw, err = os.ReadFile(sheet)
	check(err)
	check(os.WriteFile("twemoji-32.png", raw, 0o644))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
