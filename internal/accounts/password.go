package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Password hashing parameters: argon2id with 46 MiB of memory, one pass and
// one lane, OWASP's first recommended configuration (Password Storage Cheat
// Sheet, 2024), about 50 ms on one core. The parameters are stored in each
// hash (PHC string format), so raising them later keeps old hashes working.
const (
	argonMemory  = 46 * 1024 // KiB
	argonTime    = 1
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length limits (ASVS 6.2.1, 6.2.9). There are no composition rules
// (6.2.5); 15 characters or more is recommended on the form.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

// hashSlots bounds the hashes computed at once, so that a burst of sign-ins
// cannot make the server allocate argonMemory for each of them.
var hashSlots = make(chan struct{}, 4)

// HashPassword returns the argon2id hash of password in PHC string format:
// $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("accounts: hash password: %w", err)
	}
	key := argonKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func argonKey(password, salt []byte, t, m uint32, p uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, t, m, p, keyLen)
}

// VerifyPassword reports whether password matches the PHC-format hash,
// comparing in constant time. An error means the hash is malformed.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("accounts: verify password: not an argon2id hash")
	}
	var version int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("accounts: verify password: unsupported argon2 version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 {
		return false, fmt.Errorf("accounts: verify password: bad parameters %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("accounts: verify password: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("accounts: verify password: hash: %v", err)
	}
	got := argonKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when an account does not exist, so that
// answering takes as long as for a real one and does not reveal which
// emails have accounts. It is made on first use: hashing costs tens of MiB,
// which every program importing this package would otherwise pay at start.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("tamizdat dummy password")
	if err != nil {
		panic(err)
	}
	return h
})

//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords holds the embedded list, lowercased.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// CheckPassword applies the password policy for the account with that
// email: 8 to 256 characters, not one of the most common passwords and not
// the email or its local part. It returns a *model.ValidationError on the
// field "password".
func CheckPassword(password, email string) error {
	problem := ""
	lower := strings.ToLower(password)
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLength:
		problem = fmt.Sprintf("use at least %d characters; a phrase of 15 or more is best", MinPasswordLength)
	case n > MaxPasswordLength:
		problem = fmt.Sprintf("use at most %d characters", MaxPasswordLength)
	case commonPasswords[lower]:
		problem = "this is one of the most common passwords, the first ones attackers try; choose another"
	case lower == strings.ToLower(email) || (local != "" && lower == local):
		problem = "do not use your email address as your password"
	}
	if problem != "" {
		return &model.ValidationError{Fields: map[string]string{"password": problem}}
	}
	return nil
}
