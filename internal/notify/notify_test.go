package notify

import (
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
)

func TestParseClassesCanonical(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""}, {"KEA", "AKE"}, {"AKE", "AKE"}, {"A", "A"}, {"K", "K"}, {"E", "E"},
		{"g", "g"}, {"$", "$"}, {"l", "l"}, {"s", "s"}, {"h", "h"}, {"z", "z"}, {"x", "x"},
		{"e", "e"}, {"t", "t"}, {"m", "m"}, {"d", "d"}, {"n", "n"}, {"gn", "gn"},
		{"An", "A"}, {"AnKEm", "AKEm"}, {"Ag$lshzxetd", "A"}, {"g$lshzxetd", "A"},
		{"g$lshzxet", "g$lshzxet"}, {"mEKxzhsl$g", "g$lshzxKEm"}, {"KKgg", "gK"}, {"ndtexzhsl$g", "A"},
	} {
		cl, ok := ParseClasses(c.in)
		if !ok || cl.String() != c.want {
			t.Errorf("ParseClasses(%q) = %q, %v; want %q", c.in, cl.String(), ok, c.want)
		}
	}
	for _, bad := range []string{"X", "Kx y", "a", "k", "A!", "KE\x00"} {
		if _, ok := ParseClasses(bad); ok {
			t.Errorf("ParseClasses(%q) accepted", bad)
		}
	}
	if cl, _ := ParseClasses("An"); cl&New == 0 || cl&All != All {
		t.Errorf("An: classes %b lack n or A", cl)
	}
	if All&(Keyspace|Keyevent|KeyMiss|New) != 0 {
		t.Error("A must not include K, E, m or n")
	}
}

// Every code but Derive and None names events, each with one class, and
// Code finds the single-event ones back.
func TestCodesTable(t *testing.T) {
	seen := map[string]bool{}
	for code := uint8(0); code < numCodes; code++ {
		evs := Names(code)
		if (code == Derive || code == None || code == NoSignal) != (len(evs) == 0) {
			t.Errorf("code %d: %d events", code, len(evs))
		}
		for _, e := range evs {
			if e.Name == "" || strings.ContainsAny(e.Name, " \r\n") || e.Class == 0 || e.Class&(e.Class-1) != 0 {
				t.Errorf("code %d: bad event %+v", code, e)
			}
		}
		if len(evs) == 1 {
			if seen[evs[0].Name] {
				t.Errorf("event %q has two codes", evs[0].Name)
			}
			seen[evs[0].Name] = true
			if Code(evs[0].Class, evs[0].Name) != code {
				t.Errorf("Code(%v, %q) != %d", evs[0].Class, evs[0].Name, code)
			}
		}
	}
	if Names(numCodes) != nil || Names(255) != nil {
		t.Error("unknown codes must name nothing")
	}
}

func names(evs []Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Name)
	}
	return strings.Join(s, ",")
}

func TestEvents(t *testing.T) {
	for _, c := range []struct {
		e               effect.Effect
		existed, exists bool
		want            string
	}{
		{effect.Effect{Op: effect.OpAssign}, false, true, "new,set"},
		{effect.Effect{Op: effect.OpAssign}, true, true, "set"},
		{effect.Effect{Op: effect.OpAssign, Int: 99}, true, true, "set,expire"},
		{effect.Effect{Op: effect.OpAssign, Flags: effect.FlagKeepTTL}, true, true, "set"},
		{effect.Effect{Op: effect.OpAssign, Int: 99, Event: RenameTo}, true, true, "new,rename_to"},
		{effect.Effect{Op: effect.OpAssign, Int: 99, Event: Restore}, false, true, "new,restore"},
		{effect.Effect{Op: effect.OpAddInt}, false, true, "new,incrby"},
		{effect.Effect{Op: effect.OpAddFloat}, true, true, "incrbyfloat"},
		{effect.Effect{Op: effect.OpAppend}, true, true, "append"},
		{effect.Effect{Op: effect.OpSetRange}, true, true, "setrange"},
		{effect.Effect{Op: effect.OpSetBit}, false, true, "new,setbit"},
		{effect.Effect{Op: effect.OpSetBit, Event: None}, true, true, ""},
		{effect.Effect{Op: effect.OpExpire, Int: 5}, true, true, "expire"},
		{effect.Effect{Op: effect.OpExpire}, true, true, "persist"},
		{effect.Effect{Op: effect.OpDelete}, true, false, "del"},
		{effect.Effect{Op: effect.OpDelete}, true, true, ""},   // a remote delete that lost to an unseen write
		{effect.Effect{Op: effect.OpDelete}, false, false, ""}, // nothing to delete
		{effect.Effect{Op: effect.OpDelete, Event: ExpiredKey}, true, false, "expired"},
		{effect.Effect{Op: effect.OpDelete, Event: RenameFrom}, true, false, "rename_from"},
		{effect.Effect{Op: effect.OpHLL}, false, true, "new,pfadd"},
		{effect.Effect{Op: effect.OpList, Event: LPush}, false, true, "new,lpush"},
		{effect.Effect{Op: effect.OpList, Event: RPop}, true, false, "rpop,del"},
		{effect.Effect{Op: effect.OpList, Event: LPushThenRPop}, true, true, "lpush,rpop"},
		{effect.Effect{Op: effect.OpSet, Event: SRem}, true, false, "srem,del"},
		{effect.Effect{Op: effect.OpStream, Event: XAddTrim}, true, true, "xadd,xtrim"},
		{effect.Effect{Op: effect.OpZSet}, false, true, "new"}, // a family that forgot its code
		{effect.Effect{Op: effect.OpFlushDB}, false, false, ""},
		{effect.Effect{Op: effect.OpSwapDB}, false, false, ""},
	} {
		if got := names(Events(nil, &c.e, c.existed, c.exists)); got != c.want {
			t.Errorf("Events(op %v event %d, %v→%v) = %q, want %q", c.e.Op, c.e.Event, c.existed, c.exists, got, c.want)
		}
	}
	e := effect.Effect{Op: effect.OpAssign}
	for _, ev := range Events(nil, &e, false, true) {
		if ev.Name == "new" && ev.Class != New || ev.Name == "set" && ev.Class != String {
			t.Errorf("%s has class %b", ev.Name, ev.Class)
		}
	}
	if KeyMissEvent().Class != KeyMiss || KeyMissEvent().Name != "keymiss" {
		t.Error("keymiss")
	}
}

func TestInvalidationOrder(t *testing.T) {
	for code, want := range map[uint8]uint8{
		Derive: InvalidateFirst, SetKey: InvalidateFirst, Del: InvalidateFirst, RenameFrom: InvalidateFirst,
		HDel: InvalidateFirst, SRem: InvalidateFirst, ZRem: InvalidateFirst, LPushThenRPop: InvalidateFirst,
		LPop: InvalidateLast, RPop: InvalidateLast, SPop: InvalidateLast, ExpiredKey: InvalidateLast,
		ZPopMin: InvalidateBeforeDel, ZPopMax: InvalidateBeforeDel,
		SPopDel: InvalidateLast, XTrim: InvalidateLast, XAdd: InvalidateFirst, XAddTrim: InvalidateFirst,
		XDel: InvalidateFirst, NoSignal: InvalidateNever, XSetID: InvalidateNever,
		XGroupCreate: InvalidateNever, XGroupSetID: InvalidateNever, XGroupDestroy: InvalidateNever,
		XGroupCreateConsumer: InvalidateNever, XGroupDelConsumer: InvalidateNever,
	} {
		if got := InvalidationOrder(code); got != want {
			t.Errorf("InvalidationOrder(%d) = %d, want %d", code, got, want)
		}
	}
	// XGROUP CREATE ... MKSTREAM that created the stream is signalled
	if InvalidationOrderOf(XGroupCreate, true) != InvalidateFirst || InvalidationOrderOf(XGroupCreate, false) != InvalidateNever ||
		InvalidationOrderOf(XTrim, true) != InvalidateLast {
		t.Error("InvalidationOrderOf")
	}
}

// The events of the codes added for streams, range removals, STOREs and
// SPOP with a count, in Redis' order.
func TestMoreCodes(t *testing.T) {
	for code, want := range map[uint8]string{
		XAddTrim: "xadd,xtrim", SPopDel: "spop,del", ZRemByScore: "zremrangebyscore",
		ZRemByLex: "zremrangebylex", ZRemByRank: "zremrangebyrank", SortStore: "sortstore",
		ZRangeStore: "zrangestore", GeoSearchStore: "geosearchstore", GeoRadiusStore: "georadiusstore",
		NoSignal: "",
	} {
		if got := names(Names(code)); got != want {
			t.Errorf("Names(%d) = %q, want %q", code, got, want)
		}
	}
	if Names(SortStore)[0].Class != List || Names(SPopDel)[1].Class != Generic {
		t.Error("classes of sortstore / spop+del")
	}
}
