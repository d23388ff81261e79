// The admin page of `cflux serve`: the clusters, their nodes and their
// metadata history, kept live by the API's own long polls:
//
// - one blocking node list (`GET /nodes?index=N&wait=5s`) answers when a
//   node registers, dies, revives, drifts or leaves, and at least every 5 s
//   so that "last seen" stays near the truth (heartbeats alone do not
//   change a list's index);
// - a long poll per cluster (`GET /clusters/{c}/versions/{v}?wait=30s`, at
//   most MAX_META_POLLS of them, browsers keep six connections per host)
//   answers when its metadata gets a new version.
//
// With tokens the page asks for one once and keeps it in sessionStorage
// (this tab only). Every text from the manager goes in through textContent.
'use strict';

const TOKEN_KEY = 'cflux-token';
const WAIT = '30s';
const NODES_WAIT = '5s';
const MAX_META_POLLS = 4;
const REFRESH_MS = 10000;

const state = {
  managers: [],
  nodes: [],
  clusters: new Map(), // name -> GET /clusters entry
  history: new Map(), // name -> GET /clusters/{c}/history
  polled: new Set(), // clusters with a metadata long poll
  open: new Set(), // clusters whose history is unfolded
  generation: 0, // bumped when a new token restarts every loop
};

class NeedToken extends Error {}

const $ = (id) => document.getElementById(id);

async function api(path) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  const r = await fetch(path, { headers, cache: 'no-store' });
  if (r.status === 401 || r.status === 403) {
    throw new NeedToken(await errorMessage(r));
  }
  if (!r.ok && r.status !== 204) {
    throw new Error(`${r.status} from ${path}: ${await errorMessage(r)}`);
  }
  return r;
}

async function errorMessage(r) {
  try {
    const body = await r.json();
    return body.error.message;
  } catch {
    return r.statusText;
  }
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function setStatus(text, bad) {
  const s = $('status');
  s.textContent = text;
  s.className = bad ? 'bad' : 'muted';
}

// Runs `step` until it returns false or the token changes; failures are
// shown and retried with a growing pause, a missing or refused token asks
// for one.
async function loop(step) {
  const generation = state.generation;
  let pause = 500;
  while (generation === state.generation) {
    try {
      if ((await step()) === false) return;
      pause = 500;
    } catch (e) {
      if (generation !== state.generation) return;
      if (e instanceof NeedToken) {
        askForToken(e.message);
        return;
      }
      setStatus(`The manager does not answer (${e.message}); retrying`, true);
      await sleep(pause);
      pause = Math.min(pause * 2, 5000);
    }
  }
}

function followNodes() {
  let index = null;
  return loop(async () => {
    const query = index === null ? '' : `?index=${index}&wait=${NODES_WAIT}`;
    const r = await api('/nodes' + query);
    index = r.headers.get('x-cflux-index');
    const list = await r.json();
    state.managers = list.cflux;
    state.nodes = list.influx;
    setStatus('Live', false);
    await refreshClusters();
  });
}

function followMetadata(cluster) {
  state.polled.add(cluster);
  return loop(async () => {
    const known = state.clusters.get(cluster);
    if (!known) {
      state.polled.delete(cluster);
      return false;
    }
    const path = `/clusters/${encodeURIComponent(cluster)}/versions/${known.version}?wait=${WAIT}`;
    const r = await api(path);
    if (Number(r.headers.get('version')) !== known.version) await refreshClusters();
  });
}

async function refreshClusters() {
  const r = await api('/clusters');
  const clusters = await r.json();
  const changed = [];
  const names = new Set();
  for (const c of clusters) {
    names.add(c.cluster);
    const before = state.clusters.get(c.cluster);
    if (!before || before.version !== c.version) changed.push(c.cluster);
    state.clusters.set(c.cluster, c);
  }
  for (const name of [...state.clusters.keys()]) {
    if (!names.has(name)) {
      state.clusters.delete(name);
      state.history.delete(name);
    }
  }
  await Promise.all(changed.map(loadHistory));
  for (const name of names) {
    if (state.polled.size < MAX_META_POLLS && !state.polled.has(name)) followMetadata(name);
  }
  render();
}

async function loadHistory(cluster) {
  const c = state.clusters.get(cluster);
  if (!c || c.version === 0) {
    state.history.set(cluster, []);
    return;
  }
  const r = await api(`/clusters/${encodeURIComponent(cluster)}/history`);
  state.history.set(cluster, await r.json());
}

function askForToken(reason) {
  state.generation += 1;
  state.polled.clear();
  $('view').hidden = true;
  $('token-form').hidden = false;
  $('token-reason').textContent = reason;
  setStatus('', false);
  $('token').focus();
}

function start() {
  $('token-form').hidden = true;
  $('view').hidden = false;
  setStatus('Connecting…', false);
  followNodes();
}

// ---- rendering --------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function cell(label, content, cls) {
  const td = el('td', { 'data-label': label, class: cls || '' });
  td.append(content instanceof Node ? content : document.createTextNode(String(content)));
  return td;
}

function ago(stamp) {
  const then = Date.parse(stamp);
  if (Number.isNaN(then)) return stamp || '—';
  const s = Math.max(0, Math.round((Date.now() - then) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function when(stamp) {
  return el('time', { dateTime: stamp || '', title: stamp || '', class: 'ago' }, ago(stamp));
}

function nodeState(n) {
  if (!n.alive) return 'dead';
  return n.drifting ? 'drifting' : 'alive';
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function nodeRow(n, clusterVersion) {
  const s = nodeState(n);
  let applied = n['applied-version'] === undefined ? '—' : String(n['applied-version']);
  if (n.drifting) applied += ` (cluster at ${clusterVersion})`;
  return el('tr', { 'data-node': `${n.cluster}/${n.id}`, 'data-state': s, class: s },
    cell('ID', n.id),
    cell('Host', n.hostname),
    cell('Address', n['bind-address']),
    cell('InfluxDB', n.version || '—'),
    cell('State', el('span', { class: `badge ${s}` }, s)),
    cell('Last seen', when(n['last-seen'])),
    cell('Applied', applied));
}

function nodeTable(caption, nodes, version) {
  const head = el('tr', {}, ...['ID', 'Host', 'Address', 'InfluxDB', 'State', 'Last seen', 'Applied']
    .map((h) => el('th', {}, h)));
  return el('table', { class: 'nodes' },
    el('caption', {}, caption),
    el('thead', {}, head),
    el('tbody', {}, ...nodes.map((n) => nodeRow(n, version))));
}

function historyTable(cluster) {
  const versions = state.history.get(cluster) || [];
  const details = el('details', { open: state.open.has(cluster) },
    el('summary', {}, `Metadata history (${versions.length} kept)`));
  details.addEventListener('toggle', () => {
    if (details.open) state.open.add(cluster);
    else state.open.delete(cluster);
  });
  if (versions.length === 0) {
    details.append(el('p', { class: 'muted' }, 'No metadata written yet.'));
    return details;
  }
  const rows = [...versions].reverse().map((v) => el('tr', { 'data-version': v.version },
    cell('Version', v.version),
    cell('Size', bytes(v.size)),
    cell('Type', v['content-type']),
    cell('Written', when(v['written-at'])),
    cell('By', v['written-by'] || '—')));
  details.append(el('table', { class: 'history' },
    el('thead', {}, el('tr', {}, ...['Version', 'Size', 'Type', 'Written', 'By'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows)));
  return details;
}

function clusterSection(name) {
  const c = state.clusters.get(name);
  const nodes = state.nodes.filter((n) => n.cluster === name).sort((a, b) => a.id - b.id);
  const trouble = nodes.filter((n) => nodeState(n) !== 'alive');
  const healthy = nodes.filter((n) => nodeState(n) === 'alive');
  const section = el('section', { class: 'cluster', 'data-cluster': name },
    el('h2', {}, name, ' ',
      el('span', { class: 'muted' }, `metadata v${c.version} · ${c.alive}/${c.nodes} alive`)));
  if (trouble.length > 0) section.append(nodeTable('Dead or drifting', trouble, c.version));
  if (healthy.length > 0) section.append(nodeTable('Alive', healthy, c.version));
  if (nodes.length === 0) section.append(el('p', { class: 'muted' }, 'No node registered.'));
  section.append(historyTable(name));
  return section;
}

function render() {
  const names = [...state.clusters.keys()].sort();
  const rows = names.map((name) => {
    const c = state.clusters.get(name);
    const cls = c.alive === 0 && c.nodes > 0 ? 'dead' : c.alive < c.nodes ? 'drifting' : '';
    return el('tr', { 'data-cluster': name, class: cls },
      cell('Cluster', el('a', { href: `#cluster-${encodeURIComponent(name)}` }, name)),
      cell('Metadata', c.version === 0 ? 'none' : `v${c.version} (${bytes(c.size)})`),
      cell('Written', c['written-at'] ? when(c['written-at']) : '—'),
      cell('Alive', `${c.alive}/${c.nodes}`));
  });
  $('clusters').tBodies[0].replaceChildren(...rows);
  $('clusters').hidden = names.length === 0;
  $('no-clusters').hidden = names.length > 0;
  $('cluster-sections').replaceChildren(...names.map((name) => {
    const s = clusterSection(name);
    s.id = `cluster-${encodeURIComponent(name)}`;
    return s;
  }));
  const managers = state.managers.map((m) => `${m.hostname} (${m['bind-address']}${m.alive ? '' : ', dead'})`);
  $('managers').textContent = managers.length ? `Managers: ${managers.join(', ')}` : '';
}

// "12s ago" stays true between answers.
setInterval(() => {
  for (const t of document.querySelectorAll('time.ago')) t.textContent = ago(t.dateTime);
}, 1000);

// A cluster beyond MAX_META_POLLS still shows new versions.
setInterval(() => {
  if (!$('view').hidden && state.clusters.size > MAX_META_POLLS) {
    refreshClusters().catch(() => {});
  }
}, REFRESH_MS);

document.addEventListener('DOMContentLoaded', () => {
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    state.generation += 1;
    start();
  });
  start();
});
