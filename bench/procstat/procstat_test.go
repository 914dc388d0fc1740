package procstat

import "testing"

func TestParseStatusKB(t *testing.T) {
	status := []byte("Name:\ttamizdat\nVmPeak:\t 1300000 kB\nVmHWM:\t   98765 kB\nVmRSS:\t   45678 kB\nThreads:\t8\n")
	tests := []struct {
		field   string
		want    int64
		wantErr bool
	}{
		{"VmRSS", 45678, false},
		{"VmHWM", 98765, false},
		{"Threads", 8, false},
		{"VmSwap", 0, true},
		{"Name", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			got, err := ParseStatusKB(status, tt.field)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseStatusKB(%s) = %d, %v; want %d, error %v", tt.field, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
