// Saiyai simulator: pick a persona and a chat, type or tap. Every action becomes a LINE webhook event,
// signed by the server (/simulator/api/sign) and posted by this page to the real POST /callback.
// What the bot sent is read from the fake LINE API's record (/simulator/api/feed), polled.
"use strict";

const $ = (id) => document.getElementById(id);
const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const BASE = "/simulator/api";

const state = {
  personas: [], persona: null, chats: [], chat: null, groups: [],
  items: new Map(),        // chat id -> [item]
  seen: new Map(),         // persona|chat -> items seen
  since: 0, said: 0, seq: 0, polling: false, picker: null, menu: null, menuOpen: true,
};

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": CSRF}, body: JSON.stringify(body)};
  const response = await fetch(BASE + path, options);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

// --- personas and chats ------------------------------------------------------------------------------

function newUser() {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  const n = state.personas.filter((p) => p.role === "new").length + 1;
  return {user: "U" + hex, name: `ผู้ใช้ LINE ใหม่ ${n}`, role: "new", roleLabel: "ยังไม่ลงทะเบียน (new LINE user)",
          community: null, network: null};
}

async function loadPersonas(keep) {
  const fresh = await api("/personas");
  const extra = state.personas.filter((p) => p.role === "new" && !fresh.some((f) => f.user === p.user));
  state.personas = [...extra, ...fresh];
  if (!state.personas.some((p) => p.role === "new")) state.personas.unshift(newUser());
  renderPersonas();
  const chosen = keep && state.personas.find((p) => p.user === keep);
  // First visit: a member whose community has a LINE group, where an activity card waits.
  await selectPersona(chosen || state.personas.find((p) => p.role === "member" && p.communityGroup && p.lang === "th") ||
                      state.personas.find((p) => p.role === "member") || state.personas[0]);
}

function personaText(p) {
  // Staff hold no community or network: their district says where they work.
  const where = [p.title, p.community, p.network || p.district].filter(Boolean).join(" · ");
  return where ? `${p.name} — ${where}` : p.name;
}

function renderPersonas() {
  const filter = $("persona-filter").value.trim().toLowerCase();
  const select = $("persona");
  select.textContent = "";
  const groups = new Map();
  for (const p of state.personas) {
    if (filter && !personaText(p).toLowerCase().includes(filter) && !p.roleLabel.toLowerCase().includes(filter)) continue;
    if (!groups.has(p.roleLabel)) groups.set(p.roleLabel, []);
    groups.get(p.roleLabel).push(p);
  }
  for (const [label, people] of groups) {
    const group = document.createElement("optgroup");
    group.label = `${label} (${people.length})`;
    for (const p of people) {
      const option = new Option(personaText(p), p.user, false, state.persona && p.user === state.persona.user);
      option.dataset.role = p.role;
      group.append(option);
    }
    select.append(group);
  }
}

async function selectPersona(persona) {
  if (!persona) return;
  state.persona = persona;
  delete $("chats").dataset.persona;
  $("persona").value = persona.user;
  $("persona-info").textContent = `${persona.name} · ${persona.roleLabel}` +
    (persona.community ? ` · ${persona.community}` : "") + (persona.network ? ` · ${persona.network}` :
      persona.district ? ` · ${persona.district}` : "") +
    ` · ${persona.user}`;
  state.chats = await api(`/chats?user=${encodeURIComponent(persona.user)}`);
  for (const extra of extraGroups()) {
    if (!state.chats.some((c) => c.id === extra.id)) state.chats.push(extra);
  }
  const keep = state.chat && state.chats.find((c) => c.id === state.chat.id);
  openChat(keep || state.chats[0]);
  $("chats").dataset.persona = persona.user;  // the list is this persona's now (browser tests wait on it)
}

function extraGroups() {
  // Groups this persona joined or added the bot to in this page (not linked to anything yet).
  const joined = JSON.parse(sessionStorage.getItem("sim-joined") || "{}");
  return (joined[state.persona.user] || []);
}

function rememberGroup(chat) {
  const joined = JSON.parse(sessionStorage.getItem("sim-joined") || "{}");
  const mine = joined[state.persona.user] || [];
  if (!mine.some((c) => c.id === chat.id)) mine.push(chat);
  joined[state.persona.user] = mine;
  sessionStorage.setItem("sim-joined", JSON.stringify(joined));
  if (!state.chats.some((c) => c.id === chat.id)) state.chats.push(chat);
}

function seenKey(chatId) { return `${state.persona.user}|${chatId}`; }

function renderChats() {
  const list = $("chats");
  list.textContent = "";
  for (const chat of state.chats) {
    const li = document.createElement("li");
    li.dataset.chat = chat.id;
    li.className = state.chat && chat.id === state.chat.id ? "active" : "";
    const name = document.createElement("span");
    name.textContent = chat.name;
    li.append(name);
    const unread = (state.items.get(chat.id) || []).length - (state.seen.get(seenKey(chat.id)) || 0);
    if (unread > 0 && li.className !== "active") {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = unread;
      li.append(badge);
    }
    li.addEventListener("click", () => openChat(chat));
    list.append(li);
  }
}

function openChat(chat) {
  state.chat = chat;
  loadMenu();
  $("chat-title").textContent = `${chat.name} — ${state.persona.name}`;
  closePicker();
  renderMessages();
}

// --- sending -------------------------------------------------------------------------------------------

async function send(event, chat) {
  chat = chat || state.chat;
  const payload = {...event, user: state.persona.user, name: state.persona.name,
                   chat: chat && chat.kind === "group" ? chat.id : null};
  $("quick-replies").textContent = "";
  try {
    const signed = await api("/sign", payload);
    const response = await fetch("/callback", {method: "POST", body: signed.body,
      headers: {"Content-Type": "application/json", "X-Line-Signature": signed.signature}});
    if (!response.ok) showStatus(`POST /callback answered ${response.status}`);
    await poll(true);
    // Someone new who just registered becomes a member: their role, community and groups appear.
    if (state.persona.role === "new") await loadPersonas(state.persona.user);
    await loadMenu();
  } catch (error) {
    showStatus(`ส่งไม่สำเร็จ (${error.message}) — is scripts/run running?`);
  } finally {
    // Finished: the bot's reply (sent before /callback answered) is on the page. Browser tests wait on this.
    document.body.dataset.sent = String(Number(document.body.dataset.sent || 0) + 1);
  }
}

function showStatus(text) {
  const status = $("status");
  status.textContent = text;
  status.hidden = false;
  clearTimeout(showStatus.timer);
  showStatus.timer = setTimeout(() => { status.hidden = true; }, 8000);
}

function doAction(action) {
  if (!action) return;
  switch (action.type) {
    case "postback":
      return send({kind: "postback", data: action.data, displayText: action.displayText || action.text || null});
    case "message":
      return send({kind: "text", text: action.text});
    case "uri":
      return window.open(action.uri, "_blank", "noopener");
    case "datetimepicker":
      return openPicker(action);
    case "location":
      $("location-form").hidden = false;
      return;
    default:
      alert(`The simulator cannot do a ${action.type} action.`);
  }
}

function openPicker(action) {
  state.picker = action;
  const input = $("picker-input");
  input.type = action.mode === "date" ? "date" : action.mode === "time" ? "time" : "datetime-local";
  input.value = action.initial || "";
  input.min = action.min || "";
  input.max = action.max || "";
  $("picker-label").textContent = action.label || "เลือกวันเวลา";
  $("picker").hidden = false;
  input.focus();
}

function closePicker() { state.picker = null; $("picker").hidden = true; }

// --- the rich menu (LINE shows it under 1:1 chats with the official account only) -----------------------

async function loadMenu() {
  const box = $("richmenu");
  if (!state.chat || state.chat.kind !== "user" || !state.persona) {
    state.menu = null;
    box.hidden = true;
    return;
  }
  const user = state.persona.user;
  let menu = null;
  try {
    menu = (await api(`/richmenu?user=${encodeURIComponent(user)}`)).menu;
  } catch (error) {
    console.warn(error);
  }
  if (!state.persona || state.persona.user !== user || state.chat.kind !== "user") return;  // moved on meanwhile
  if (!menu) {
    state.menu = null;
    box.hidden = true;
    return;
  }
  if (state.menu && state.menu.richMenuId === menu.richMenuId && !box.hidden) return;
  if (!state.menu) state.menuOpen = menu.selected !== false;
  state.menu = menu;
  renderMenu();
}

function renderMenu() {
  const menu = state.menu;
  const box = $("richmenu"), body = $("richmenu-body");
  box.hidden = false;
  box.dataset.menu = menu.richMenuId;
  $("richmenu-bar").textContent = `${menu.chatBarText || "เมนู"} ${state.menuOpen ? "▾" : "▴"}`;
  $("richmenu-bar").setAttribute("aria-expanded", String(state.menuOpen));
  body.hidden = !state.menuOpen;
  for (const old of body.querySelectorAll(".richmenu-area")) old.remove();
  $("richmenu-img").src = menu.imageUrl;
  const {width, height} = menu.size;
  for (const area of menu.areas || []) {
    const b = area.bounds;
    const button = el("button", "richmenu-area");
    button.type = "button";
    button.title = area.action.label || area.action.text || area.action.type;
    button.setAttribute("aria-label", button.title);
    Object.assign(button.style, {left: `${100 * b.x / width}%`, top: `${100 * b.y / height}%`,
                                 width: `${100 * b.width / width}%`, height: `${100 * b.height / height}%`});
    button.addEventListener("click", () => menuAction(area.action));
    body.append(button);
  }
}

async function menuAction(action) {
  if (action.type !== "richmenuswitch") return doAction(action);
  // LINE switches the menu to the alias's, then sends the area's postback to the bot.
  await api("/richmenu/switch", {user: state.persona.user, alias: action.richMenuAliasId});
  state.menu = null;
  await send({kind: "postback", data: action.data});
}

// --- the feed ------------------------------------------------------------------------------------------

async function poll(wait) {
  while (state.polling && wait) await new Promise((resolve) => setTimeout(resolve, 50));
  if (state.polling) return;
  state.polling = true;
  try {
    const feed = await api(`/feed?since=${state.since}&said=${state.said}`);
    state.since = feed.since;
    state.said = feed.said;
    let touched = false;
    for (const item of feed.items) {
      item.seq = ++state.seq;  // arrival order on this page (browser tests read what came after an action)
      if (!state.items.has(item.chat)) state.items.set(item.chat, []);
      const list = state.items.get(item.chat);
      list.push(item);
      list.sort((a, b) => cmp(a.order, b.order));
      touched = true;
    }
    document.body.dataset.seq = String(state.seq);
    if (touched) renderMessages();
  } catch (error) {
    console.warn(error);
  } finally {
    state.polling = false;
  }
}

function cmp(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) - (b[i] || 0);
  }
  return 0;
}

// --- rendering -----------------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const EVENT_TEXT = {
  follow: "เพิ่ม Saiyai เป็นเพื่อน (follow)", unfollow: "บล็อก Saiyai (unfollow)",
  join: "เชิญ Saiyai เข้ากลุ่ม (join)", leave: "นำ Saiyai ออกจากกลุ่ม (leave)",
  memberJoined: "เข้าร่วมกลุ่ม (memberJoined)", memberLeft: "ออกจากกลุ่ม (memberLeft)",
};

function renderMessages() {
  if (!state.chat) return;
  const box = $("messages");
  const items = state.items.get(state.chat.id) || [];
  box.textContent = "";
  if (!items.length) box.append(renderHint());
  for (const item of items) box.append(renderItem(item));
  state.seen.set(seenKey(state.chat.id), items.length);
  box.scrollTop = box.scrollHeight;
  renderQuickReplies(items[items.length - 1]);
  renderChats();
}

// Things to try in an empty chat: the simulator's suggestions, not the bot's (a tap sends the text).
const SUGGESTIONS = {
  new: ["สมัคร", "ช่วยเหลือ"],
  member: ["ช่วยเหลือ", "กิจกรรม", "ข่าว", "ข้อมูลของฉัน"],
  partner: ["ช่วยเหลือ", "กิจกรรม", "ข่าว"],
  community_leader: ["ช่วยเหลือ", "สร้างกิจกรรม", "กิจกรรม", "เจ้าภาพ", "ประกาศ"],
  network_chair: ["ช่วยเหลือ", "สร้างกิจกรรม", "เจ้าภาพ ประวัติ", "ประกาศ", "ประกาศ สถานะ"],
  staff: ["ช่วยเหลือ", "ประกาศ", "ประกาศ สถานะ", "แจ้งเตือนด่วน สถานะ", "กิจกรรม"],
};

function renderHint() {
  const hint = el("div", "hint");
  const group = state.chat.kind === "group";
  hint.append(el("div", "", group ? "ในกลุ่ม สายใยตอบเฉพาะข้อความที่ขึ้นต้นด้วย “บอท” ลองกด:"
    : "แชทนี้ยังว่าง ลองพิมพ์คำสั่ง หรือกด:"));
  const words = group ? ["บอท ช่วยเหลือ", "บอท กิจกรรม"] : (SUGGESTIONS[state.persona.role] || SUGGESTIONS.member);
  const row = el("div", "row");
  for (const word of words) {
    const button = el("button", "suggestion", word);
    button.type = "button";
    button.addEventListener("click", () => send({kind: "text", text: word}));
    row.append(button);
  }
  hint.append(row);
  return hint;
}

function renderItem(item) {
  const message = item.message || {};
  if (message.type === "event") {
    const wrap = el("div", "msg system");
    wrap.append(el("div", "bubble-text", `${item.name}: ${EVENT_TEXT[message.event] || message.event}`));
    return wrap;
  }
  const fromBot = item.from === "bot";
  const wrap = el("div", "msg " + (fromBot ? "bot" : "user"));
  wrap.dataset.type = message.type;
  wrap.dataset.seq = item.seq;
  if (fromBot || state.chat.kind === "group") wrap.append(el("div", "who", fromBot ? "Saiyai" : item.name));
  wrap.append(renderMessage(message));
  if (fromBot && item.via && item.via !== "reply") wrap.append(el("div", "via", item.via === "push" ? "push" : "multicast"));
  return wrap;
}

function renderMessage(message) {
  switch (message.type) {
    case "text":
      return el("div", "bubble-text", message.text);
    case "flex":
      return flexNode(message.contents);
    case "image": {
      if (!message.previewImageUrl && !message.originalContentUrl) return el("div", "bubble-text", "🖼️ [รูปภาพ]");
      const wrap = el("div", "image-msg");
      const img = el("img");
      img.src = message.previewImageUrl || message.originalContentUrl;
      img.alt = "image";
      wrap.append(img);
      return wrap;
    }
    case "location": {
      const wrap = el("div", "location");
      wrap.append(el("span", "pin", "📍 "), el("strong", "", message.title || "ตำแหน่ง"));
      wrap.append(el("div", "", message.address || ""));
      wrap.append(el("div", "info", `${message.latitude}, ${message.longitude}`));
      return wrap;
    }
    case "sticker":
      return el("div", "bubble-text", "🙂 [sticker]");
    default:
      return el("div", "bubble-text", message.altText || `[${message.type}]`);
  }
}

function renderQuickReplies(last) {
  const bar = $("quick-replies");
  bar.textContent = "";
  if (!last || last.from !== "bot" || !last.message.quickReply) return;
  for (const entry of last.message.quickReply.items || []) {
    const chip = el("button", "chip", entry.action.label || entry.action.text || entry.action.type);
    chip.type = "button";
    chip.addEventListener("click", () => doAction(entry.action));
    bar.append(chip);
  }
}

function flexNode(node) {
  if (!node) return el("div");
  switch (node.type) {
    case "carousel": {
      const wrap = el("div", "flex-carousel");
      for (const bubble of node.contents || []) wrap.append(flexNode(bubble));
      return wrap;
    }
    case "bubble": {
      const wrap = el("div", `flex-bubble size-${node.size || "mega"}`);
      const styles = node.styles || {};
      for (const part of ["header", "hero", "body", "footer"]) {
        if (!node[part]) continue;
        const section = el("div", `flex-part ${part}`);
        if (styles[part] && styles[part].backgroundColor) section.style.backgroundColor = styles[part].backgroundColor;
        section.append(flexNode(node[part]));
        wrap.append(section);
      }
      if (node.action) clickable(wrap, node.action);
      return wrap;
    }
    case "box": {
      const box = el("div", `flex-box ${node.layout || "vertical"}`);
      const gap = {none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20}[node.spacing];
      if (gap !== undefined) box.style.gap = gap + "px";
      else if (/px$/.test(node.spacing || "")) box.style.gap = node.spacing;
      common(box, node);
      if (node.backgroundColor) box.style.backgroundColor = node.backgroundColor;
      if (node.cornerRadius) box.style.borderRadius = /px$/.test(node.cornerRadius) ? node.cornerRadius : "8px";
      if (node.borderColor) box.style.border = `${node.borderWidth || "1px"} solid ${node.borderColor}`;
      for (const key of ["paddingAll", "paddingTop", "paddingBottom", "paddingStart", "paddingEnd"]) {
        if (!node[key]) continue;
        const value = spacing(node[key]);
        const css = {paddingAll: "padding", paddingTop: "paddingTop", paddingBottom: "paddingBottom",
                     paddingStart: "paddingLeft", paddingEnd: "paddingRight"}[key];
        box.style[css] = value;
      }
      for (const child of node.contents || []) box.append(flexNode(child));
      if (node.action) clickable(box, node.action);
      return box;
    }
    case "text": {
      const text = el("div", `flex-text size-${node.size || "md"} ${node.wrap ? "wrap" : "nowrap"}` +
        (node.weight === "bold" ? " bold" : ""));
      if (node.contents && node.contents.length) {
        for (const span of node.contents) {
          const s = el("span", span.weight === "bold" ? "bold" : "", span.text);
          if (span.color) s.style.color = span.color;
          if (span.size) s.className += ` size-${span.size}`;
          text.append(s);
        }
      } else {
        text.textContent = node.text;
      }
      if (node.color) text.style.color = node.color;
      if (node.align) text.style.textAlign = node.align === "end" ? "right" : node.align === "center" ? "center" : "left";
      if (node.decoration === "line-through") text.style.textDecoration = "line-through";
      common(text, node);
      if (node.action) clickable(text, node.action);
      return text;
    }
    case "span":
      return el("span", "", node.text);
    case "separator": {
      const line = el("hr", "flex-separator");
      if (node.color) line.style.borderTopColor = node.color;
      common(line, node);
      return line;
    }
    case "image": {
      const img = el("img", "flex-image");
      img.src = node.url;
      img.alt = "";
      if (node.aspectRatio) img.style.aspectRatio = node.aspectRatio.replace(":", " / ");
      if (node.size === "full") img.style.width = "100%";
      common(img, node);
      if (node.action) clickable(img, node.action);
      return img;
    }
    case "icon": {
      const img = el("img");
      img.src = node.url;
      img.style.width = img.style.height = "1em";
      return img;
    }
    case "button": {
      const button = el("button", `flex-button ${node.style || "link"} ${node.height === "sm" ? "sm" : ""}`,
        node.action && node.action.label);
      button.type = "button";
      if (node.color && node.style !== "link") { button.style.backgroundColor = node.color; button.style.borderColor = node.color; }
      else if (node.color) button.style.color = node.color;
      common(button, node);
      button.addEventListener("click", (e) => { e.stopPropagation(); doAction(node.action); });
      return button;
    }
    case "filler":
      return el("div", "flex-filler");
    case "spacer": {
      const spacer = el("div");
      spacer.style.minHeight = spacing(node.size || "md");
      return spacer;
    }
    default:
      return el("div", "", `[${node.type}]`);
  }
}

function spacing(value) {
  return {none: "0", xs: "2px", sm: "4px", md: "8px", lg: "12px", xl: "16px", xxl: "20px"}[value] || value;
}

function common(node, spec) {
  if (spec.flex !== undefined) node.style.flex = String(spec.flex);
  if (spec.margin) node.style.marginTop = spacing(spec.margin);
  if (spec.gravity === "center") node.style.alignSelf = "center";
}

function clickable(node, action) {
  node.classList.add("clickable");
  node.addEventListener("click", () => doAction(action));
}

// --- the clock -----------------------------------------------------------------------------------------

function showClock(clock) {
  $("clock-now").textContent = clock.label;
  $("clock-now").dataset.iso = clock.now;
  if (!$("clock-to").value) $("clock-to").value = clock.local;
  const ran = Object.entries(clock.ran || {}).filter(([, v]) => v && (typeof v !== "object" || Object.keys(v).length))
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
  $("clock-ran").textContent = ran.join(" · ");
}

async function moveClock(body) {
  $("clock-ran").textContent = "…";
  try {
    showClock(await api("/clock", body));
  } catch (error) {
    $("clock-ran").textContent = body.step === "next" ? "ไม่มีการเตือนที่กำลังจะมาถึง (no reminder ahead)" : String(error);
  }
  await poll(true);
  document.body.dataset.moved = String(Number(document.body.dataset.moved || 0) + 1);
}

// --- wiring --------------------------------------------------------------------------------------------

function wire() {
  $("persona-filter").addEventListener("input", renderPersonas);
  $("persona").addEventListener("change", (e) => selectPersona(state.personas.find((p) => p.user === e.target.value)));
  $("persona-reload").addEventListener("click", () => loadPersonas(state.persona && state.persona.user));
  $("persona-new").addEventListener("click", () => {
    const persona = newUser();
    state.personas.unshift(persona);
    renderPersonas();
    selectPersona(persona);
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    send({kind: "text", text});
  });
  $("picker").addEventListener("submit", (e) => {
    e.preventDefault();
    const action = state.picker;
    const value = $("picker-input").value;
    if (!action || !value) return;
    const key = action.mode === "date" ? "date" : action.mode === "time" ? "time" : "datetime";
    closePicker();
    send({kind: "postback", data: action.data, params: {[key]: value}});
  });
  $("picker-cancel").addEventListener("click", closePicker);
  $("richmenu-bar").addEventListener("click", () => { state.menuOpen = !state.menuOpen; renderMenu(); });
  $("loc-open").addEventListener("click", () => { $("location-form").hidden = false; });
  $("image-send").addEventListener("click", () => send({kind: "image"}));
  $("loc-cancel").addEventListener("click", () => { $("location-form").hidden = true; });
  $("location-form").addEventListener("submit", (e) => {
    e.preventDefault();
    $("location-form").hidden = true;
    send({kind: "location", latitude: $("loc-lat").value, longitude: $("loc-lng").value,
          title: $("loc-title").value, address: $("loc-address").value});
  });
  for (const button of document.querySelectorAll("[data-event]")) {
    button.addEventListener("click", () => {
      const kind = button.dataset.event;
      if (kind === "follow" || kind === "unfollow") return send({kind}, state.chats[0]);
      const id = $("group-pick").value;
      const chat = state.groups.find((g) => g.id === id) || {id, kind: "group", name: `กลุ่ม ${id.slice(0, 8)}`};
      if (kind === "memberJoined" || kind === "join") rememberGroup(chat);
      openChat(chat);
      send({kind}, chat);
    });
  }
  $("new-group").addEventListener("click", () => {
    const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    const chat = {id: "C" + hex, kind: "group", name: `กลุ่มใหม่ ${hex.slice(0, 4)}`};
    state.groups.push(chat);
    $("group-pick").append(new Option(chat.name, chat.id, true, true));
  });
  for (const button of document.querySelectorAll("#clock-form [data-step]")) {
    button.addEventListener("click", () => moveClock({step: button.dataset.step}));
  }
  $("clock-form").addEventListener("submit", (e) => {
    e.preventDefault();
    moveClock({step: "to", moment: $("clock-to").value});
  });
}

async function start() {
  wire();
  state.groups = await api("/groups");
  for (const group of state.groups) $("group-pick").append(new Option(group.name, group.id));
  showClock(await api("/clock"));
  await poll();
  await loadPersonas(sessionStorage.getItem("sim-persona"));
  window.addEventListener("beforeunload", () => state.persona && sessionStorage.setItem("sim-persona", state.persona.user));
  setInterval(poll, 800);
  document.body.dataset.ready = "1";
  setInterval(async () => showClock(await api("/clock")), 15000);
}

start();
