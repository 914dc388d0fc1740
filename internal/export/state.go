package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"io"
	"os"
	"sync"
)

// state is what an export leaves for the next one: the fingerprint of
// each page it could reuse, and the links on it, so that a page reused
// without rendering still has its links followed and checked. It is kept
// beside the export's folder, not in it, since every file in the folder is
// published and signed.
type state struct {
	Sequence uint64   // of the export it describes
	Targets  []string // every link target, once
	Pages    map[string]pageState
}

type pageState struct {
	Fingerprint string
	Links       []int32 // indexes into Targets
}

// stateBuilder collects the next state while workers render.
type stateBuilder struct {
	mu      sync.Mutex
	targets map[string]int32
	state   state
}

func newStateBuilder() *stateBuilder {
	return &stateBuilder{targets: map[string]int32{}, state: state{Pages: map[string]pageState{}}}
}

// finish returns the state of the export with the given sequence number.
func (b *stateBuilder) finish(sequence uint64) *state {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.Sequence = sequence
	return &b.state
}

func (b *stateBuilder) record(key, fp string, links []link) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ps := pageState{Fingerprint: fp, Links: make([]int32, 0, len(links))}
	for _, l := range links {
		i, ok := b.targets[l.to]
		if !ok {
			i = int32(len(b.state.Targets))
			b.targets[l.to] = i
			b.state.Targets = append(b.state.Targets, l.to)
		}
		ps.Links = append(ps.Links, i)
	}
	b.state.Pages[key] = ps
}

// reusable returns the links of key in the previous export, if its
// fingerprint then was fp.
func (s *state) reusable(key, fp string) ([]link, bool) {
	if s == nil || fp == "" {
		return nil, false
	}
	ps, ok := s.Pages[key]
	if !ok || ps.Fingerprint != fp {
		return nil, false
	}
	links := make([]link, 0, len(ps.Links))
	for _, i := range ps.Links {
		if int(i) >= len(s.Targets) {
			return nil, false
		}
		links = append(links, link{from: key, to: s.Targets[i]})
	}
	return links, true
}

// readState reads the state file; any failure means there is none.
func readState(name string, sequence uint64) *state {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil
	}
	var s state
	if gob.NewDecoder(bytes.NewReader(data)).Decode(&s) != nil || s.Sequence != sequence {
		return nil
	}
	return &s
}

// writeState replaces the state file whole.
func writeState(name string, s *state) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return err
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// codeIdentity names the running program by the SHA-256 of its
// executable: templates and styles are built into it, so a new build may
// render any page differently. "" when it cannot be read, which turns
// reuse off.
var codeIdentity = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
})
