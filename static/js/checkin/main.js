/*
 * The check-in page: a phone held in one hand at the door of a hall with poor Wi-Fi.
 *
 * Three ways in, one request: the camera (a QR decoder from npm, served from static/vendor),
 * a handheld scanner that types the card's token and Enter into the focused text box, and
 * search by furigana, name or short code. Every scan gets a client_id, kept through
 * retries, so the server never counts a person twice however often the network fails.
 *
 * The entry module, loaded by templates/checkin/checkin.html with <script type="module">:
 * it wires the page's parts together and starts them. The modules beside it, from the
 * bottom up: page (what the server put in the page), text, dom, signal, api, decoder;
 * result, roster; door (one check-in and its answer); list, scanner, newcomer, camera.
 * A module imports only modules below it (biome's noImportCycles fails on a cycle).
 */
import { startCameraIfWanted, wireCamera } from "./camera.js";
import { wireList } from "./list.js";
import { wireNewcomerForm } from "./newcomer.js";
import { root, scanInput } from "./page.js";
import { wireScanner } from "./scanner.js";

if (root) {
  wireScanner();
  wireNewcomerForm();
  wireCamera();
  wireList();
  startCameraIfWanted();
  scanInput.focus();
}
