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
//     phase failed, with the status and body.
//   - The receiving side (what the customer's Go service implements):
//     TokenHandler and ReportHandler decode what jtel posts, check the
//     token and the declared size, and hand over the PDF.
//
// Package chatexporttest is a fake customer back end for tests.
package chatexport
