package accounts_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
)

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	hash, err := accounts.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=47104,t=1,p=1$") {
		t.Errorf("hash %q is not in the documented PHC form", hash)
	}
	again, _ := accounts.HashPassword("correct horse battery staple")
	if again == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"Correct horse battery staple", false},
		{"", false},
	} {
		ok, err := accounts.VerifyPassword(hash, tc.password)
		if err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.password, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "plain", "$2a$10$bcrypthash", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$aGFzaA"} {
		if _, err := accounts.VerifyPassword(bad, "x"); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a malformed hash", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{
		{"long phrase", "correct horse battery staple", true},
		{"eight characters", "k7#mQ2vx", true},
		{"no composition rules", "alllowercaseletters", true},
		{"seven characters", "k7#mQ2v", false},
		{"multibyte counts runes", "пароль-ок", true},
		{"too long", strings.Repeat("a", 257), false},
		{"longest allowed", strings.Repeat("ab", 128), true},
		{"common", "password123", false},
		{"common in capitals", "PASSWORD123", false},
		{"the email", "anna@example.org", false},
		{"the email's local part", "annakarenina", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := accounts.CheckPassword(tc.password, "annakarenina@example.org")
			if tc.name == "the email" {
				err = accounts.CheckPassword(tc.password, "Anna@example.org")
			}
			var ve *model.ValidationError
			if tc.ok != (err == nil) || (err != nil && (!errors.As(err, &ve) || ve.Fields["password"] == "")) {
				t.Errorf("CheckPassword(%q) = %v; want ok=%v", tc.password, err, tc.ok)
			}
		})
	}
}
