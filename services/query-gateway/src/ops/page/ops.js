// The operations page: polls GET /projections, keeps one card per projection up to date, and
// turns a command id into a link to its trace. Its requests carry an ops token, pasted into its
// sign-in form or handed over in the address's fragment (`/ops#token=…`, never sent to a
// server), and kept in this tab's session storage only. A plain script with no build step and no library;
// every value from the server reaches the page as text (textContent or an attribute), never as
// markup.
/* global document, location, history */
'use strict';

(() => {
  /** How long after one refresh the next one starts. */
  const REFRESH_MS = 1_000;
  /** A request that takes longer counts as the gateway not answering. */
  const REQUEST_TIMEOUT_MS = 3_000;
  /** Throughput is the growth of `applied` over about this long. */
  const RATE_WINDOW_MS = 5_000;
  const PLACEHOLDER = '{commandId}';
  /** Command ids are visible ASCII (a UUID, say): anything else is a typo or a bad paste. */
  const COMMAND_ID = /^[\x21-\x7e]{1,200}$/;

  const numbers = new Intl.NumberFormat('en');
  const rates = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

  function byId(id) {
    const element = document.getElementById(id);
    if (!element) throw new Error(`the page has no #${id}`);
    return element;
  }

  function fromTemplate(id) {
    const root = byId(id).content.firstElementChild.cloneNode(true);
    const fields = {};
    for (const element of root.querySelectorAll('[data-field]')) fields[element.dataset.field] = element;
    return { root, fields };
  }

  const time = (date) => date.toLocaleTimeString('en-GB');
  const count = (value) => (value === null || value === undefined ? '—' : numbers.format(value));
  const reason = (error) => (error instanceof Error ? error.message : String(error));

  // --- the token ---------------------------------------------------------------------------

  const TOKEN_KEY = 'cqrs-shop.ops-token';
  /** RFC 6750's b64token: anything else is a bad paste. */
  const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

  /** Refused by the gateway (401/403): the page asks for another token instead of retrying. */
  class SignInNeeded extends Error {}

  function tokenFromAddress() {
    const match = /^#token=([^&]+)$/.exec(location.hash);
    if (!match) return;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    // Out of the address bar and the history, so it is not copied along with the link.
    history.replaceState(null, '', location.pathname + location.search);
  }

  async function getJson(path) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token === null) throw new SignInNeeded('Sign in with a token that has the ops role.');
    const response = await fetch(path, {
      cache: 'no-store',
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (response.status === 401 || response.status === 403) {
      const problem = await response.json().catch(() => ({}));
      throw new SignInNeeded(
        typeof problem.detail === 'string' ? problem.detail : `${path} answered ${response.status}`,
      );
    }
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    return response.json();
  }

  const signIn = byId('sign-in');
  const signInForm = byId('sign-in-form');
  const tokenInput = byId('token');
  const signInError = byId('sign-in-error');
  /** The next refresh while signed out: one starts as soon as a token is given. */
  let waitingForToken = false;

  function askForToken(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    signIn.hidden = false;
    signInError.textContent = why;
    signInError.hidden = false;
    waitingForToken = true;
  }

  signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = tokenInput.value.trim().replace(/^Bearer\s+/i, '');
    if (!TOKEN.test(token)) {
      signInError.textContent = 'That is not a bearer token (letters, digits and -._~+/ only).';
      signInError.hidden = false;
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    tokenInput.value = '';
    signIn.hidden = true;
    signInError.hidden = true;
    if (waitingForToken) {
      waitingForToken = false;
      void refresh();
    }
  });

  // --- projections ---------------------------------------------------------------------------

  const list = byId('projections');
  const refreshed = byId('refresh');
  const gatewayError = byId('gateway-error');
  /** Card of each projection, by name. */
  const cards = new Map();
  /** Recent samples of `applied` of each projection, oldest first: { at (ms), applied }. */
  const samples = new Map();

  function cardOf(name) {
    let card = cards.get(name);
    if (!card) {
      card = fromTemplate('projection-card');
      card.root.dataset.projection = name;
      card.fields.name.textContent = name;
      cards.set(name, card);
      list.append(card.root);
    }
    return card;
  }

  /** Events per second over the last few samples; null until there are two. */
  function throughput(projection) {
    if (projection.applied === null) {
      samples.delete(projection.name);
      return null;
    }
    const at = Date.parse(projection.checkedAt);
    let recent = samples.get(projection.name) ?? [];
    // The count starts again at 0 when the projector restarts.
    if (recent.length > 0 && projection.applied < recent.at(-1).applied) recent = [];
    if (recent.length === 0 || at > recent.at(-1).at) recent.push({ at, applied: projection.applied });
    while (recent.length > 2 && at - recent[1].at >= RATE_WINDOW_MS) recent.shift();
    samples.set(projection.name, recent);
    if (recent.length < 2) return null;
    const [oldest, newest] = [recent[0], recent.at(-1)];
    return ((newest.applied - oldest.applied) * 1_000) / (newest.at - oldest.at);
  }

  function versionText(projection) {
    if (projection.liveVersion === null) return '—';
    const live = `v${projection.liveVersion}`;
    // Right after a switch, the projector follows the new live version within a second or so.
    if (projection.version !== null && projection.version !== projection.liveVersion)
      return `${live} (projector on v${projection.version})`;
    return live;
  }

  function rebuildRow(target) {
    const { root, fields } = fromTemplate('rebuild-row');
    const bar = root.querySelector('progress');
    root.dataset.version = String(target.version);
    fields.label.textContent = `v${target.version} rebuilding`;
    const progress = target.progress;
    if (!progress) {
      bar.removeAttribute('value');
      fields.percent.textContent = '';
      fields.detail.textContent = 'starting';
      return root;
    }
    const percent = progress.total > 0 ? Math.min(100, (progress.applied * 100) / progress.total) : 0;
    bar.value = percent;
    // Rounded down: 100 % only once every event is in.
    fields.percent.textContent = `${Math.floor(percent)} %`;
    const parts = [
      `${numbers.format(progress.applied)} of ${numbers.format(progress.total)} events`,
      `${rates.format(progress.eventsPerSecond)} events/s`,
    ];
    if (progress.etaSeconds !== null) parts.push(`about ${Math.ceil(progress.etaSeconds)} s left`);
    fields.detail.textContent = parts.join(' · ');
    return root;
  }

  function show(projection) {
    const { root, fields } = cardOf(projection.name);
    const state = !projection.reachable
      ? 'unreachable'
      : projection.rebuilding
        ? 'rebuilding'
        : projection.healthy
          ? 'healthy'
          : 'unhealthy';
    const rate = throughput(projection);
    root.dataset.state = state;
    fields.health.textContent = state;
    fields.version.textContent = versionText(projection);
    fields.lagEvents.textContent =
      projection.lagEvents === null ? '—' : `${count(projection.lagEvents)} events`;
    fields.lagSeconds.textContent =
      projection.lagSeconds === null ? '—' : `${projection.lagSeconds.toFixed(1)} s`;
    fields.throughput.textContent = rate === null ? '—' : `${rates.format(rate)} events/s`;
    fields.applied.textContent = count(projection.applied);
    fields.deadLettered.textContent = count(projection.deadLettered);
    fields.parkedAggregates.textContent = count(projection.parkedAggregates);
    fields.lastEventAt.textContent = projection.lastEventAt ? time(new Date(projection.lastEventAt)) : '—';
    if (projection.lastEventAt) fields.lastEventAt.title = projection.lastEventAt;
    else fields.lastEventAt.removeAttribute('title');
    const versions = projection.versions ?? [];
    fields.versions.textContent =
      versions.length === 0 ? '—' : versions.map((v) => `v${v.version} ${v.state}`).join(', ');
    fields.rebuilds.replaceChildren(...versions.filter((v) => v.state === 'rebuilding').map(rebuildRow));
    fields.error.hidden = projection.reachable;
    fields.error.textContent = projection.reachable
      ? ''
      : `Its projector is not answering: ${projection.error ?? 'no reason given'}`;
  }

  let lastRefresh = null;
  let failingSince = null;

  async function refresh() {
    try {
      const { projections } = await getJson('/projections');
      const names = new Set(projections.map((p) => p.name));
      for (const [name, card] of cards)
        if (!names.has(name)) {
          card.root.remove();
          cards.delete(name);
          samples.delete(name);
        }
      for (const projection of projections) show(projection);
      lastRefresh = new Date();
      failingSince = null;
      gatewayError.hidden = true;
      gatewayError.textContent = '';
      list.dataset.stale = 'false';
      refreshed.dataset.state = 'ok';
      refreshed.textContent = `Refreshed ${time(lastRefresh)}`;
    } catch (error) {
      if (error instanceof SignInNeeded) {
        askForToken(error.message);
        refreshed.dataset.state = 'signed-out';
        refreshed.textContent = 'Signed out';
        return; // refreshed again once a token is given
      }
      failingSince ??= new Date();
      const shown = lastRefresh ? `the figures below are from ${time(lastRefresh)}` : 'nothing to show yet';
      gatewayError.textContent = `The query gateway is not answering since ${time(failingSince)} (${reason(error)}); ${shown}.`;
      gatewayError.hidden = false;
      list.dataset.stale = 'true';
      refreshed.dataset.state = 'failing';
      refreshed.textContent = lastRefresh ? `Last refreshed ${time(lastRefresh)}` : 'Not refreshed yet';
    }
    if (settingsPending) await loadSettings();
    setTimeout(() => void refresh(), REFRESH_MS);
  }

  // --- follow a command ----------------------------------------------------------------------

  const form = byId('follow-form');
  const input = byId('command-id');
  const button = form.querySelector('button');
  const followError = byId('follow-error');
  const result = byId('follow-result');
  const link = byId('trace-link');
  const off = byId('follow-off');
  /** The trace link template; null when there is none. */
  let template = null;
  let settingsPending = true;

  async function loadSettings() {
    try {
      const settings = await getJson('/ops/settings');
      template = typeof settings.traceSearchUrlTemplate === 'string' ? settings.traceSearchUrlTemplate : null;
    } catch {
      return; // tried again after the next refresh
    }
    settingsPending = false;
    off.hidden = template !== null;
    input.disabled = template === null;
    button.disabled = template === null;
    if (template !== null) follow(false);
  }

  /** What is wrong with an id, or null when it is fine (or empty and not submitted). */
  function problemWith(id, submitted) {
    if (id === '') return submitted ? 'Enter a command id.' : null;
    if (/\s/.test(id)) return 'A command id has no spaces or line breaks.';
    if (!COMMAND_ID.test(id))
      return 'A command id is made of visible ASCII characters (like a UUID), at most 200 of them.';
    return null;
  }

  function follow(submitted) {
    // Blanks around a pasted id are dropped; blanks inside are an error.
    const id = input.value.trim();
    let problem = problemWith(id, submitted);
    let href = null;
    if (problem === null && id !== '') {
      href = template.replaceAll(PLACEHOLDER, encodeURIComponent(id));
      // The gateway checked the template; this keeps any other scheme out of the link all the same.
      if (!/^https?:\/\//i.test(href)) {
        problem = 'The trace link template is not an http(s) URL.';
        href = null;
      }
    }
    followError.textContent = problem ?? '';
    followError.hidden = problem === null;
    input.setAttribute('aria-invalid', String(problem !== null));
    result.hidden = href === null;
    if (href === null) {
      link.removeAttribute('href');
      link.textContent = '';
    } else {
      link.href = href;
      link.textContent = href;
    }
  }

  input.addEventListener('input', () => {
    follow(false);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    follow(true);
  });

  tokenFromAddress();
  void refresh();
})();
