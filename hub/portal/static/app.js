// Starts GOV.UK Frontend's components (error summary focus, password reveal, menus).
// Every page works without it; it only makes them nicer.
import { initAll } from "./vendor/govuk/govuk-frontend.min.js";

initAll();
