package teamsbot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/okrbot/okrbot/conversations"
)

// Files in Teams: the bot may send a file only in a personal chat, and
// only with the person's consent (Microsoft's "Send and receive files using
// bot"). okrbot sends a file consent card naming the file and its size;
// when the person accepts, Teams sends a fileConsent/invoke with a URL in
// their OneDrive to PUT the file to, and okrbot uploads it there and posts a
// file info card pointing at it. The card carries only the file's Ref, and
// the file is made again when the person accepts (Conversations.File), so
// any replica can answer, and the person's right to it is checked again.
//
// Not verified against Teams itself (unreachable here): the tests play
// Teams' side as Microsoft documents it.

const (
	invokeFileConsent   = "fileConsent/invoke"
	fileConsentCardType = "application/vnd.microsoft.teams.card.file.consent"
	fileInfoCardType    = "application/vnd.microsoft.teams.card.file.info"
	// fileRefKey holds the file's Ref in the consent card's contexts.
	fileRefKey = "okrbotFile"
)

// fileConsentCard is the attachment that asks the person to accept a file.
func fileConsentCard(f *conversations.File) Attachment {
	ctx := map[string]string{fileRefKey: f.Ref}
	return Attachment{ContentType: fileConsentCardType, Name: f.Name, Content: map[string]any{
		"description":    f.Title,
		"sizeInBytes":    len(f.Data),
		"acceptContext":  ctx,
		"declineContext": ctx,
	}}
}

// offerFile answers with m and the file's consent card, in the person's
// personal chat: in a channel the answer says where to look.
func (b *Bot) offerFile(ctx context.Context, in *incoming, f *conversations.File, m *conversations.Message) {
	act := messageActivity(m, true)
	act.Attachments = append(act.Attachments, fileConsentCard(f))
	if in.isPersonal() {
		b.reply(ctx, in, act)
		return
	}
	if b.sendPrivately(ctx, in, act) {
		b.reply(ctx, in, messageActivity(conversations.Lines(m.Summary,
			conversations.T(f.Name+": I sent it to you in our personal chat; accept it there to save it to your OneDrive.")), true))
		return
	}
	b.reply(ctx, in, messageActivity(conversations.Lines("Ask in our personal chat",
		conversations.T("Teams lets okrbot send files only in a personal chat, and I could not open one with you. Type the same command there.")), true))
}

// onFileConsent handles the person's answer to a file consent card.
func (b *Bot) onFileConsent(ctx context.Context, in *incoming) *invokeResponse {
	action, _ := in.Value["action"].(string)
	fctx, _ := in.Value["context"].(map[string]any)
	ref, _ := fctx[fileRefKey].(string)
	info, _ := in.Value["uploadInfo"].(map[string]any)
	str := func(k string) string { v, _ := info[k].(string); return v }
	switch {
	case ref == "":
		return badInvoke("BadRequest", "Not one of okrbot's files")
	case action == "decline":
		b.reply(ctx, in, messageActivity(conversations.Lines("File not sent", conversations.T("Not sent: nothing was saved to your OneDrive.")), true))
		return &invokeResponse{status: http.StatusOK}
	case action != "accept":
		return badInvoke("BadRequest", "Unknown file consent action")
	case !b.firstDelivery(ctx, in):
		return &invokeResponse{status: http.StatusOK} // the Bot Connector's retry: uploaded once
	}
	f, err := b.svc.File(ctx, b.actor(in), ref)
	if err == nil {
		err = b.upload(ctx, str("uploadUrl"), f.Data)
	}
	if err != nil {
		b.log.Warn("teams: file upload failed", "workspace", in.workspaceID(), "err", err)
		b.reply(ctx, in, messageActivity(conversations.Lines("The file could not be saved",
			conversations.T("The file could not be saved to your OneDrive ("+err.Error()+"). Nothing was changed; try the command again.")), true))
		return &invokeResponse{status: http.StatusOK}
	}
	name := str("name")
	if name == "" {
		name = f.Name
	}
	b.reply(ctx, in, &Activity{Type: "message", Summary: name, Attachments: []Attachment{{
		ContentType: fileInfoCardType, Name: name, ContentURL: str("contentUrl"),
		Content: map[string]string{"uniqueId": str("uniqueId"), "fileType": str("fileType")},
	}}})
	return &invokeResponse{status: http.StatusOK}
}

// upload PUTs data to a OneDrive upload session URL in one range.
func (b *Bot) upload(ctx context.Context, uploadURL string, data []byte) error {
	u, err := url.Parse(uploadURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("Teams gave no https upload address")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(data))
	req.Header.Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(data)-1, len(data)))
	resp, err := b.files.Do(req)
	if err != nil {
		return errors.New("OneDrive did not answer")
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return errors.New("OneDrive answered " + strconv.Itoa(resp.StatusCode))
	}
	return nil
}
