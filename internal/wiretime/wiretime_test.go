package wiretime

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestParseLocalForms(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CEST", 2*3600)
	}
	cases := map[string]time.Time{
		"2020-08-09T02:33:50.347":       time.Date(2020, 8, 9, 2, 33, 50, 347e6, berlin),
		"2020-08-09T02:33:50":           time.Date(2020, 8, 9, 2, 33, 50, 0, berlin),
		"2020-08-09T02:33":              time.Date(2020, 8, 9, 2, 33, 0, 0, berlin),
		"2020-08-09 02:33:50.3":         time.Date(2020, 8, 9, 2, 33, 50, 300e6, berlin),
		"2020-08-09T02:33:50.123456789": time.Date(2020, 8, 9, 2, 33, 50, 123456789, berlin),
	}
	for in, want := range cases {
		got, err := ParseLocal(in, berlin)
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got.Time), "%s: got %v", in, got.Time)
		assert.Equal(t, in, got.String(), "round trip of %s", in)
	}
	for _, bad := range []string{"", "2020-08-09", "2020-08-09T02:33:50Z", "2020-08-09T02:33:50+02:00", "2020-08-09T02:33:50.34x", "2020-13-09T02:33:50", "09.08.2020 02:33"} {
		_, err := ParseLocal(bad, time.UTC)
		assert.Error(t, err, bad)
	}
}

func TestJSONRoundTripKeepsText(t *testing.T) {
	type rec struct {
		A LocalTime  `json:"a"`
		B *LocalTime `json:"b"`
		C LocalTime  `json:"c"`
	}
	in := `{"a":"2020-08-09T02:33:50.340","b":null,"c":""}`
	var r rec
	require.NoError(t, json.Unmarshal([]byte(in), &r))
	assert.Nil(t, r.B)
	assert.True(t, r.C.IsZero())
	out, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
}

func TestChangedTimeIsWrittenAfresh(t *testing.T) {
	lt, err := ParseLocal("2020-08-09T02:33", time.UTC)
	require.NoError(t, err)
	lt.Time = lt.Add(90 * time.Second)
	assert.Equal(t, "2020-08-09T02:34:30.000", lt.String())
	assert.Equal(t, "2021-01-02T03:04:05.006", NewLocalTime(time.Date(2021, 1, 2, 3, 4, 5, 6e6, time.UTC)).String())
}

func TestWallClockIn(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	lt, err := ParseLocal("2020-08-09T02:33:50.347", time.UTC)
	require.NoError(t, err)
	in := lt.WallClockIn(tokyo)
	assert.Equal(t, "2020-08-09T02:33:50.347", in.String(), "the wire text is unchanged")
	assert.Equal(t, time.Date(2020, 8, 8, 17, 33, 50, 347e6, time.UTC), in.UTC())
	assert.True(t, LocalTime{}.WallClockIn(tokyo).IsZero())
}

func TestUnmarshalRejectsNonString(t *testing.T) {
	var lt LocalTime
	assert.Error(t, json.Unmarshal([]byte(`12345`), &lt))
	assert.Error(t, json.Unmarshal([]byte(`"yesterday"`), &lt))
	assert.Error(t, lt.UnmarshalJSON([]byte(`"2020-08-09T02:33:50`)), "unterminated")
	for _, bad := range []string{`"2023-02-29T00:00"`, `"2020-04-31T00:00"`, `"2020-08-09T24:00"`, `"2020-08-09T02:60"`, `"2020-08-09T02:33:60"`, `"2020-08-09X02:33"`, `"2020-08-09T02:33:50.3a"`} {
		assert.Error(t, lt.UnmarshalJSON([]byte(bad)), bad)
	}
	require.NoError(t, lt.UnmarshalJSON([]byte(`"2020-08-09T02:33:50\u002e347"`)), "an escaped string takes the slow path")
	assert.Equal(t, time.Date(2020, 8, 9, 2, 33, 50, 347e6, time.UTC), lt.Time)
	require.NoError(t, lt.UnmarshalText([]byte("2020-08-09T02:33:50")))
	b, _ := lt.MarshalText()
	assert.Equal(t, "2020-08-09T02:33:50", string(b))
}

// FuzzParseLocal: the parser never panics, the fast reader agrees with
// time.ParseInLocation on everything it accepts, and whatever is accepted
// is written back exactly as received.
func FuzzParseLocal(f *testing.F) {
	for _, s := range []string{"2020-08-09T02:33:50.347", "2020-08-09T02:33", "2020-08-09 02:33:50", "2020-02-30T00:00:00", "x", "",
		"2024-02-29T23:59:59.999999999", "2023-02-29T00:00", "2020-08-09T24:00", "2020-08-09T02:33:60", "0000-01-01T00:00", "2020-08-09T02:33:50."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if fast, ok := parseWallFast(s, time.UTC); ok {
			slow, err := parseWallLayout(s, time.UTC)
			if err != nil || !slow.Equal(fast) {
				t.Fatalf("fast reading of %q gave %v, time.Parse %v %v", s, fast, slow, err)
			}
		}
		lt, err := ParseLocal(s, time.UTC)
		if err != nil {
			return
		}
		if got := lt.String(); got != s {
			t.Fatalf("ParseLocal(%q).String() = %q", s, got)
		}
		b, err := json.Marshal(lt)
		if err != nil {
			t.Fatal(err)
		}
		var back LocalTime
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(lt.Time) {
			t.Fatalf("JSON round trip of %q: %v %v", s, back, err)
		}
	})
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseClock(t *testing.T) {
	cases := map[string]time.Duration{
		"":             0,
		"00:00:48":     48 * time.Second,
		"01:02:03":     time.Hour + 2*time.Minute + 3*time.Second,
		"25:00:00":     25 * time.Hour,
		"123:04:05":    123*time.Hour + 4*time.Minute + 5*time.Second,
		"00:00:48.5":   48*time.Second + 500*time.Millisecond,
		"0:01:00":      time.Minute,
		"00:00:00.001": time.Millisecond,
	}
	for in, want := range cases {
		got, err := ParseClock(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"48", "00:48", "00:60:00", "00:00:60", "aa:bb:cc", "-01:00:00", "00:00:4", "00:00:48.", "00:00:48.1234567890", "1:2:3", "999999999:00:00"} {
		_, err := ParseClock(bad)
		assert.Error(t, err, bad)
	}
	assert.Equal(t, "00:00:48", FormatClock(48*time.Second))
	assert.Equal(t, "123:04:05", FormatClock(123*time.Hour+4*time.Minute+5*time.Second))
	assert.Equal(t, "00:00:48.5", FormatClock(48*time.Second+500*time.Millisecond))
	assert.Equal(t, "-00:01:00", FormatClock(-time.Minute))
}

// FuzzParseClock: never panics; what parses formats back to a text that
// parses to the same duration.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"00:00:48", "123:04:05", "00:00:48.5", "", "99:59:59", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseClock(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("negative duration from %q", s)
		}
		back, err := ParseClock(FormatClock(d))
		if err != nil || back != d {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, d, FormatClock(d), back, err)
		}
	})
}

func TestLayoutForTimesMadeInGo(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	assert.Equal(t, "2024-05-06T07:08:09", NewLocalTimeLayout(at, SecondsLayout).String())
	assert.Equal(t, "2024-05-06T07:08:09", NewLocalTimeLayout(at, SecondsLayout).WallClockIn(time.FixedZone("X", 3600)).String())
}
