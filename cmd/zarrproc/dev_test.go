package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDev runs `zarrproc dev` and the request it prints.
func TestDev(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- runDev(ctx, []string{"--addr", addr, "--data", dir}, &out, io.Discard) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "curl") {
		if time.Now().After(deadline) {
			t.Fatalf("dev printed no example in 30s: %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "sample", "chirps.zarr", "precip", "zarr.json")); err != nil {
		t.Fatalf("sample dataset: %v", err)
	}
	// The printed synchronous request, as printed.
	text := out.String()
	start := strings.Index(text, "-d '") + len("-d '")
	body := text[start : start+strings.Index(text[start:], "'")]
	resp, err := http.Post("http://"+addr+"/processes/temporal-aggregate/execution", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(got), `"precip_mean"`) || !strings.Contains(string(got), `"periods":12`) {
		t.Fatalf("example request: %s\n%s", resp.Status, got)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "results"))
	if len(entries) != 1 {
		t.Errorf("results folder holds %d entries, want the one output", len(entries))
	}
}
