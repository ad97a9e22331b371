// Calls to the trainserve API with the user's key (kept in localStorage).

const KEY_ITEM = "trainserve.apiKey";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function getKey() {
  return localStorage.getItem(KEY_ITEM);
}

export function setKey(key) {
  localStorage.setItem(KEY_ITEM, key);
}

export function forgetKey() {
  localStorage.removeItem(KEY_ITEM);
}

// Called with the ApiError when the API refuses the key (401), so the page can ask again.
let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

async function request(method, path, body) {
  const headers = { Authorization: `Bearer ${getKey() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, `the API cannot be reached (${error.message})`);
  }
  if (response.ok) return response;
  const error = new ApiError(response.status, await errorMessage(response));
  if (response.status === 401) onUnauthorized(error);
  throw error;
}

async function errorMessage(response) {
  // The API answers {"detail", "message"}; anything else (a proxy's page) is shown by status.
  try {
    const body = await response.json();
    if (typeof body.message === "string") return body.message;
    if (typeof body.detail === "string") return body.detail;
  } catch {
    // not JSON
  }
  return `${response.status} ${response.statusText}`;
}

export async function getJson(path) {
  return (await request("GET", path)).json();
}

export async function postJson(path, body) {
  return (await request("POST", path, body)).json();
}

// An image behind auth (an <img> cannot send the header): an object URL to revoke later.
export async function getBlobUrl(path) {
  return URL.createObjectURL(await (await request("GET", path)).blob());
}
