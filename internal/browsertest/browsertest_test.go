package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/internal/browsertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestPageRendersAndScreenshots is the smoke test for the browser every
// page test uses: a page served on loopback runs its script, and the
// screenshot lands in the artefact directory.
func TestPageRendersAndScreenshots(t *testing.T) {
	ctx := browsertest.New(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>t</title><p id="out">static</p><script>document.getElementById("out").textContent = "from script " + (6*7)</script>`)
	}))
	defer srv.Close()
	var text string
	err := chromedp.Run(browsertest.Timeout(t, ctx, 20*time.Second),
		chromedp.Navigate(srv.URL),
		chromedp.Text("#out", &text, chromedp.ByQuery))
	if err != nil {
		t.Fatal(err)
	}
	if text != "from script 42" {
		t.Fatalf("text = %q, want the script's", text)
	}
	file := browsertest.Screenshot(t, ctx, "page")
	if st, err := os.Stat(file); err != nil || st.Size() < 100 {
		t.Fatalf("screenshot %s: %v", file, err)
	}
}
