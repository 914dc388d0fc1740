package blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"
)

// Memory keeps objects in memory: for tests, and for a server that needs
// no persistence. The zero value is not ready; use NewMemory.
type Memory struct {
	mu      sync.RWMutex
	objects map[string]memoryObject
}

type memoryObject struct {
	data    []byte // never modified once stored
	modTime time.Time
}

// NewMemory returns an empty in-memory Store.
func NewMemory() *Memory { return &Memory{objects: map[string]memoryObject{}} }

// Put reads r to the end and then stores it, so a failed read stores
// nothing.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	data, err := io.ReadAll(contextReader{ctx, r})
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = memoryObject{data: data, modTime: time.Now()}
	return nil
}

// Get returns a reader over the object's bytes.
func (m *Memory) Get(_ context.Context, key string) (io.ReadCloser, Info, error) {
	obj, info, err := m.lookup("get", key)
	if err != nil {
		return nil, Info{}, err
	}
	return io.NopCloser(bytes.NewReader(obj.data)), info, nil
}

// Stat describes the object.
func (m *Memory) Stat(_ context.Context, key string) (Info, error) {
	_, info, err := m.lookup("stat", key)
	return info, err
}

// Delete forgets the object.
func (m *Memory) Delete(_ context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

// Keys lists the stored keys in order, for tests that check what was
// stored.
func (m *Memory) Keys() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Sorted(maps.Keys(m.objects))
}

func (m *Memory) lookup(op, key string) (memoryObject, Info, error) {
	if err := ValidKey(key); err != nil {
		return memoryObject{}, Info{}, err
	}
	m.mu.RLock()
	obj, ok := m.objects[key]
	m.mu.RUnlock()
	if !ok {
		return memoryObject{}, Info{}, fmt.Errorf("blob: %s %s: %w", op, key, ErrNotFound)
	}
	return obj, Info{Key: key, Size: int64(len(obj.data)), ModTime: obj.modTime}, nil
}
