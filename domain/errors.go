// Package domain holds okrbot's types and the pure rules about them: progress,
// pace, projection, grading, KPI health, key result parsing and validation.
// It imports only the standard library.
package domain

import (
	"errors"
	"fmt"
)

// Error codes. Programs act on the code, people read the message.
const (
	EINVALID   = "invalid"   // the input is malformed or breaks a rule
	ENOTFOUND  = "not_found" // a ref, slug or user does not exist
	EFORBIDDEN = "forbidden" // the actor may not do this
	ECONFLICT  = "conflict"  // the thing exists already, or changed underneath
	EBUSY      = "busy"      // the store is saturated for now; the same request may succeed in a moment
	// EUNAVAILABLE: okrbot cannot keep what it is given until an operator
	// acts (the embedded store's file was deleted under it); retrying does
	// not help.
	EUNAVAILABLE = "unavailable"
	// EAMBIGUOUS: the input can be read more than one way, or lacks a
	// part okrbot will not make up (a start); the person is asked, with
	// Choices, and nothing is stored.
	EAMBIGUOUS = "ambiguous"
	EINTERNAL  = "internal" // anything else; never shown in detail
)

// Error is an error meant for the person who caused it. Message is one line
// written for them; Example, when set, shows the right form of the input.
type Error struct {
	Code    string
	Message string
	Example string
	// Choices are the readings of an ambiguous input, each with what to
	// type to mean it (EAMBIGUOUS).
	Choices []Choice
}

// Choice is one reading of an ambiguous input. Text is the input rewritten
// so that it can only mean this; Options are options to add to the command
// ("--start 0"). Meaning says the reading in words.
type Choice struct {
	Meaning string
	Text    string
	Options string
}

// Ambiguous returns an EAMBIGUOUS error asking which of choices was meant.
func Ambiguous(choices []Choice, format string, args ...any) *Error {
	return &Error{Code: EAMBIGUOUS, Message: fmt.Sprintf(format, args...), Choices: choices}
}

// ErrorChoices returns the choices of the first *Error in err's chain.
func ErrorChoices(err error) []Choice {
	var e *Error
	if errors.As(err, &e) {
		return e.Choices
	}
	return nil
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Example != "" {
		return fmt.Sprintf("%s: %s (example: %s)", e.Code, e.Message, e.Example)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error with a message and an example of the right form.
func Invalid(example, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: fmt.Sprintf(format, args...), Example: example}
}

// NotFound returns an ENOTFOUND error.
func NotFound(format string, args ...any) *Error {
	return Errorf(ENOTFOUND, format, args...)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of the first
// *Error in its chain, or "Internal error." for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorExample returns the example attached to the first *Error in err's chain.
func ErrorExample(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Example
	}
	return ""
}
