package zarr

import (
	"context"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

func TestStringsRoundTrip(t *testing.T) {
	ctx := context.Background()
	vals := []string{"202401", "2024W5", "2024SunW53", "", "ünï"}
	for _, format := range []int{2, 3} {
		s := store.NewMem(t.Name())
		a, err := CreateArray(ctx, s, "period_id", ArraySpec{Format: format, Shape: []int{5}, ChunkShape: []int{2},
			DType: dtype.FixedUTF32Type(10), FillValue: "", DimensionNames: []string{"time"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteStrings(ctx, a, vals); err != nil {
			t.Fatal(err)
		}
		b, err := OpenArray(ctx, s, "period_id")
		if err != nil {
			t.Fatal(err)
		}
		if !b.DType.Equal(dtype.FixedUTF32Type(10)) {
			t.Fatalf("v%d: reopened dtype %v", format, b.DType)
		}
		got, err := ReadStrings(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			if got[i] != vals[i] {
				t.Fatalf("v%d: [%d] = %q, want %q", format, i, got[i], vals[i])
			}
		}
		if err := WriteStrings(ctx, a, []string{"a", "b", "c", "d", "much too long a string"}); err == nil {
			t.Errorf("v%d: an over-long string was accepted", format)
		}
	}
	for _, ts := range []string{"<U6", ">U3"} {
		d, err := dtype.ParseTypestring(ts)
		if err != nil || d.Kind != dtype.FixedUTF32 || d.V2String() != ts {
			t.Errorf("%s: %+v %v (V2String %s)", ts, d, err, d.V2String())
		}
	}
}
