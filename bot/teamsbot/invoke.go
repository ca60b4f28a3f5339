package teamsbot

import (
	"context"
	"net/http"

	"github.com/okrbot/okrbot/conversations"
)

// Invoke activities expect their answer in the HTTP response: botbuilder's
// ActivityHandler answers "adaptiveCard/action" (an Adaptive Card's
// Action.Execute) with an InvokeResponse whose status is the
// AdaptiveCardInvokeResponse's statusCode and whose body is that response
// (a card that replaces the one acted on, or a message), a malformed one
// with 400 and an error body, and every other invoke with 501 and no body.
// okrbot does the same.

const (
	invokeAdaptiveCardAction = "adaptiveCard/action"
	invokeTypeCard           = cardType
	invokeTypeMessage        = "application/vnd.microsoft.activity.message"
	invokeTypeError          = "application/vnd.microsoft.error"
)

// invokeResponse is the HTTP answer to an invoke activity.
type invokeResponse struct {
	status int
	body   *adaptiveCardInvokeResponse // nil: no body
}

// adaptiveCardInvokeResponse is the Bot Framework's AdaptiveCardInvokeResponse.
type adaptiveCardInvokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

type invokeError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func cardResponse(c *card) *invokeResponse {
	return &invokeResponse{status: http.StatusOK, body: &adaptiveCardInvokeResponse{StatusCode: http.StatusOK, Type: invokeTypeCard, Value: c}}
}

func messageResponse(text string) *invokeResponse {
	return &invokeResponse{status: http.StatusOK, body: &adaptiveCardInvokeResponse{StatusCode: http.StatusOK, Type: invokeTypeMessage, Value: text}}
}

func badInvoke(code, message string) *invokeResponse {
	return &invokeResponse{status: http.StatusBadRequest, body: &adaptiveCardInvokeResponse{
		StatusCode: http.StatusBadRequest, Type: invokeTypeError, Value: invokeError{Code: code, Message: message}}}
}

var notImplemented = &invokeResponse{status: http.StatusNotImplemented}

// onInvoke answers an invoke activity. An Action.Execute on one of
// okrbot's cards carries the same data as its Action.Submit (the button's
// action or the form's inputs) and is handled the same way; its outcome is
// the card that replaces the one acted on.
func (b *Bot) onInvoke(ctx context.Context, in *incoming) *invokeResponse {
	if in.Name == invokeFileConsent {
		return b.onFileConsent(ctx, in)
	}
	if in.Name != invokeAdaptiveCardAction {
		return notImplemented
	}
	act, _ := in.Value["action"].(map[string]any)
	if act == nil {
		return badInvoke("BadRequest", "Missing value property")
	}
	if t, _ := act["type"].(string); t != "Action.Execute" {
		return badInvoke("NotSupported", "The action '"+t+"' is not supported.")
	}
	data, _ := act["data"].(map[string]any)
	kind, _ := data[dataKind].(string)
	a := b.actor(in)
	switch kind {
	case "action":
		if !b.firstDelivery(ctx, in) {
			return messageResponse("Already done.")
		}
		name, _ := data[dataAction].(string)
		return b.invokeReply(ctx, in, b.svc.Action(ctx, a, name, valueString(data[dataValue])), nil, nil)
	case "form":
		sub := formSubmission(in, data)
		r := b.svc.Submit(ctx, a, sub)
		return b.invokeReply(ctx, in, r, &sub, r.Errors)
	}
	return cardResponse(messageCard(hint(), false))
}

// invokeReply turns a reply into the invoke's answer: the form again with
// its errors, the form it opens, or its message as a card. An announcement
// in a channel is posted as a message, as for Action.Submit.
func (b *Bot) invokeReply(ctx context.Context, in *incoming, r conversations.Reply, sub *conversations.Submission, errs map[string]string) *invokeResponse {
	if len(errs) > 0 && sub != nil {
		if f := b.formFor(ctx, in, *sub); f != nil {
			return cardResponse(formCard(f, sub.Values, errs))
		}
		lines := make([]conversations.Text, 0, len(errs))
		for _, msg := range sortedValues(errs) {
			lines = append(lines, conversations.T(msg))
		}
		return cardResponse(messageCard(conversations.Lines("That form could not be saved", lines...), false))
	}
	if r.Announce != nil && r.Message == nil && !in.isPersonal() {
		b.reply(ctx, in, messageActivity(r.Announce, true))
	}
	switch {
	case r.Form != nil:
		return cardResponse(formCard(r.Form, nil, nil))
	case r.Message != nil:
		return cardResponse(messageCard(r.Message, false))
	case r.Announce != nil:
		return cardResponse(messageCard(r.Announce, false))
	}
	return messageResponse("Done.")
}
