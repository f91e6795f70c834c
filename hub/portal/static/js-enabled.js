// Loaded at the start of <body>, before anything is drawn: tells GOV.UK Frontend's styles that
// JavaScript runs (and whether its components will), without an inline script the CSP forbids.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
