// The dashboard's entry point: asks for the API key, then routes #/ and #/jobs/<id>.

import { forgetKey, getJson, getKey, setKey, whenUnauthorized } from "./api.js";
import { $, setError, show } from "./dom.js";
import { openHome, setUpHome } from "./home.js";
import { openJob } from "./job.js";

let stopView = () => {};

function askForKey(message) {
  stopView();
  stopView = () => {};
  forgetKey();
  for (const view of ["#home-view", "#job-view"]) show($(view), false);
  show($("#forget-key"), false);
  show($("#key-view"), true);
  setError($("#key-error"), message);
  $("#key-input").focus();
}

function route() {
  if (!getKey()) {
    askForKey("");
    return;
  }
  stopView();
  show($("#key-view"), false);
  show($("#forget-key"), true);
  const match = /^#\/jobs\/([0-9a-f]{32})$/.exec(location.hash);
  show($("#home-view"), !match);
  show($("#job-view"), Boolean(match));
  stopView = match ? openJob(match[1]) : openHome();
}

async function useKey(event) {
  event.preventDefault();
  const key = $("#key-input").value.trim();
  if (!key) return;
  setKey(key);
  try {
    await getJson("/models"); // any valid key may read models: checks the key alone
  } catch (error) {
    if (error.status !== 401) setError($("#key-error"), error.message);
    return; // a 401 has already brought the key box back with the API's message
  }
  $("#key-input").value = "";
  route();
}

whenUnauthorized((error) => askForKey(`The API refused the key: ${error.message}`));
$("#key-form").addEventListener("submit", useKey);
$("#forget-key").addEventListener("click", () => askForKey(""));
window.addEventListener("hashchange", route);
setUpHome();
route();
