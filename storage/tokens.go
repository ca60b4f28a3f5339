package storage

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// encPrefix marks an encrypted token: AES-256-GCM, nonce first, base64.
// Both stores write tokens in this form, so a token moved from one store to
// the other (the FerretDB migration) still decrypts.
const encPrefix = "enc:v1:"

// ErrNoKey is returned when a token would have to be stored in clear.
var ErrNoKey = errors.New("OKRBOT_ENCRYPTION_KEY is not set: refusing to store a token unencrypted")

// Tokens encrypts the bot tokens a store keeps. The zero value has no key:
// it refuses to seal and to open. It is safe for concurrent use.
type Tokens struct {
	aead atomic.Pointer[cipher.AEAD]
}

// SetKey sets the 32-byte key.
func (t *Tokens) SetKey(key []byte) error {
	if len(key) != 32 {
		return errors.New("storage.SetTokenKey: the key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("storage.SetTokenKey: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("storage.SetTokenKey: %w", err)
	}
	t.aead.Store(&gcm)
	return nil
}

// Seal encrypts plain, binding aad (the workspace id) into the ciphertext so
// that a token copied to another workspace's record does not decrypt.
func (t *Tokens) Seal(plain, aad string) (string, error) {
	p := t.aead.Load()
	if p == nil {
		return "", ErrNoKey
	}
	aead := *p
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, []byte(plain), []byte(aad))
	return encPrefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal returned for the same aad.
func (t *Tokens) Open(sealed, aad string) (string, error) {
	if !strings.HasPrefix(sealed, encPrefix) {
		return "", errors.New("stored token is not encrypted")
	}
	p := t.aead.Load()
	if p == nil {
		return "", ErrNoKey
	}
	aead := *p
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, encPrefix))
	if err != nil || len(b) < aead.NonceSize() {
		return "", errors.New("stored token is corrupt")
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, b[:n], b[n:], []byte(aad))
	if err != nil {
		return "", errors.New("stored token does not decrypt with this OKRBOT_ENCRYPTION_KEY")
	}
	return string(plain), nil
}
