// Package chatexport implements jtel's chat report export on both sides.
//
// In the product, an agent presses Report Export in a chat session; jtel
// renders the session as a PDF and posts it to the customer's REST service
// in two phases configured on the Chat Connector's REST tab: an optional
// token post, then the report post, whose URL, headers and body may use
// template variables ($report.encoded.base64, $tokenResponse.body.JSON.…,
// $pdata.…).
//
//   - The exporter side (what jtel does, for anyone building or testing
//     such an export): RenderPDF makes the transcript; NewExporter checks a
//     configuration and Export renders, runs both phases and reports which
//     phase failed (*PhaseError), with the status and body. It takes the
//     same HTTP options as every contactkit package (WithHTTPClient,
//     WithLogger, WithRetry, WithResponseTimeout...), and its errors are
//     the shared *contactkit.APIError and sentinels. Every value of the
//     token response that a template uses is removed by value from logs
//     and errors, wherever the template puts it.
//   - The receiving side (what the customer's Go service implements):
//     TokenHandler and ReportHandler (or StreamReportHandler, which
//     streams the decoded PDF to a ReportSink such as a temporary file)
//     decode what jtel posts, check the token and the declared size, and
//     hand over the PDF. They answer errors with jtel's error body
//     {"status":N,"error":"..."}: 400 for a body that is not a report,
//     401, 405, 408 for a stalled body, 413 over MaxReportBody, and 500
//     when storing fails or a function panics. They accept what the
//     document allows: $report.bytes as the PDF's or its base64 text's
//     size, base64 wrapped or unpadded, any Content-Type.
//
// The transcript is made for people to read: emoji are drawn as emoji,
// inline at the text's size, in colour, from the bundled Twemoji set
// (emoji/, CC-BY 4.0, licence in emoji/LICENSE; about 2 MB of the binary),
// with sequences as one emoji (skin tones, ZWJ families, flags, keycaps,
// U+FE0F variants); copying or extracting the text gives the emoji's own
// characters (ActualText), or its name (":thumbs_up_sign:") in readers
// without ActualText. Only a code point above U+FFFF that no bundled emoji
// covers is drawn as Placeholder. http(s) URLs and e-mail addresses become
// link annotations (mailto: for addresses), also when wrapped. A fixed
// RenderOptions.CreationDate gives byte-identical files.
//
// Package chatexporttest is a fake customer back end for tests;
// examples/chatexport-backend is a production-shaped one.
package chatexport
