/*
 * contactkit web chat client and widget, served by webchat/bridge.
 *
 * Offers section 8 of the Avaya Call Reporting document on
 * window._ximachat.api: getQueueStatus, subscribeToQueueStatus,
 * setCustomParameters, setSkill, getSkill and manuallyStartChat.
 *
 * <script src="/chat/ximachat.js" defer></script>            launcher shown on load
 * <script src="/chat/ximachat.js" data-show-on-load="false" defer></script>
 *                                      the page decides (section 8.7): manuallyStartChat
 *
 * No framework, no build step. Every text from the network is set with
 * textContent; the only URLs set are the bridge's own and data:image URLs
 * the bridge checked.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = script.src.replace(/\/[^\/?#]*(?:[?#].*)?$/, "");
  var showOnLoad = script.getAttribute("data-show-on-load") !== "false";
  var title = script.getAttribute("data-title") || "Chat with us";
  var STORE = "ximachat:" + base;
  var TERMINAL = { CHAT_ENDED: 1, FORCE_CLOSE: 1, MULTIMEDIA_DOWN: 1 };

  var st = {
    csrf: null,
    config: null,
    ready: null,
    skill: undefined,
    params: [],
    captchaToken: "",
    chat: null,      // {id, name, skill}
    es: null,
    log: null,       // the stored transcript of the running chat
    typingTimer: 0,
    typingSent: false,
    statusSubs: [],
    statusTimer: 0,
    lastStatus: null
  };

  // ---------- the bridge ----------

  function ApiError(status, message) {
    this.status = status;
    this.message = message;
  }

  function parse(resp) {
    if (resp.status === 204) {
      return null;
    }
    return resp.text().then(function (t) {
      var body = null;
      try {
        body = t ? JSON.parse(t) : null;
      } catch (e) {
        body = null;
      }
      if (!resp.ok) {
        throw new ApiError(resp.status, (body && body.error) || ("HTTP " + resp.status));
      }
      return body;
    });
  }

  function get(path) {
    return fetch(base + path, { credentials: "same-origin", cache: "no-store" }).then(parse);
  }

  function post(path, body, contentType) {
    return ready().then(function () {
      var headers = { "X-Ximachat-Csrf": st.csrf };
      var payload;
      if (contentType) {
        headers["Content-Type"] = contentType;
        payload = body;
      } else {
        headers["Content-Type"] = "application/json";
        payload = JSON.stringify(body || {});
      }
      return fetch(base + path, { method: "POST", credentials: "same-origin", headers: headers, body: payload });
    }).then(parse);
  }

  function ready() {
    if (!st.ready) {
      st.ready = get("/state").then(function (s) {
        st.csrf = s.csrf;
        st.config = s;
        return s;
      }, function (e) {
        st.ready = null;
        throw e;
      });
    }
    return st.ready;
  }

  // ---------- the transcript, kept across reloads ----------

  function loadLog(chatId) {
    var log = null;
    try {
      log = JSON.parse(sessionStorage.getItem(STORE) || "null");
    } catch (e) {
      log = null;
    }
    if (!log || log.chat !== chatId) {
      log = { chat: chatId, last: "", seen: {}, items: [], agent: "", image: "", wait: "", shot: false, ended: false };
    }
    return log;
  }

  function saveLog() {
    if (!st.log) {
      return;
    }
    try {
      sessionStorage.setItem(STORE, JSON.stringify(st.log));
    } catch (e) {
      // storage full or disabled: the chat goes on, a reload loses the history
    }
  }

  function clearLog() {
    try {
      sessionStorage.removeItem(STORE);
    } catch (e) {
      // nothing to clear
    }
  }

  // ---------- the widget ----------

  var ui = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function field(form, id, label, type, autocomplete) {
    var wrap = el("div", "xc-field");
    var l = el("label", "", label);
    l.htmlFor = id;
    var input = el("input");
    input.id = id;
    input.type = type;
    input.required = true;
    input.autocomplete = autocomplete;
    input.maxLength = 200;
    wrap.appendChild(l);
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }

  function build() {
    if (ui) {
      return ui;
    }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = base + "/ximachat.css";
    document.head.appendChild(css);

    var launcher = el("button", "xc-launcher", title);
    launcher.type = "button";
    launcher.hidden = true;
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.addEventListener("click", function () {
      open();
    });

    var box = el("section", "xc-widget");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-labelledby", "xc-title");
    box.hidden = true;

    var head = el("header", "xc-head");
    var img = el("img", "xc-agent-img");
    img.alt = "";
    img.hidden = true;
    var who = el("div", "xc-who");
    var h = el("h2", "xc-title", title);
    h.id = "xc-title";
    var status = el("p", "xc-status", "");
    status.setAttribute("aria-live", "polite");
    who.appendChild(h);
    who.appendChild(status);
    var endBtn = el("button", "xc-end", "End chat");
    endBtn.type = "button";
    endBtn.hidden = true;
    var close = el("button", "xc-close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Minimise chat");
    head.appendChild(img);
    head.appendChild(who);
    head.appendChild(endBtn);
    head.appendChild(close);

    var form = el("form", "xc-form");
    form.noValidate = false;
    var intro = el("p", "xc-intro", "Tell us who you are and an agent will be with you shortly.");
    form.appendChild(intro);
    var name = field(form, "xc-name", "Name", "text", "name");
    var email = field(form, "xc-email", "E-mail", "email", "email");
    var hint = el("p", "xc-hint", "");
    hint.setAttribute("aria-live", "polite");
    hint.hidden = true;
    form.appendChild(hint);
    var formErr = el("p", "xc-error", "");
    formErr.setAttribute("role", "alert");
    var startBtn = el("button", "xc-primary", "Start chat");
    startBtn.type = "submit";
    form.appendChild(formErr);
    form.appendChild(startBtn);

    var log = el("ol", "xc-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Conversation");
    log.tabIndex = 0;
    log.hidden = true;

    var typing = el("p", "xc-typing", "");
    typing.setAttribute("aria-live", "polite");
    typing.hidden = true;

    var shot = el("div", "xc-shot");
    shot.setAttribute("role", "group");
    shot.setAttribute("aria-labelledby", "xc-shot-text");
    shot.hidden = true;
    var shotText = el("p", "", "The agent asks for a screenshot of your screen. Share one?");
    shotText.id = "xc-shot-text";
    var shotLabel = el("label", "xc-primary xc-file", "Choose a PNG to share");
    var shotInput = el("input");
    shotInput.type = "file";
    shotInput.accept = "image/png";
    shotInput.className = "xc-file-input";
    shotLabel.appendChild(shotInput);
    var shotNo = el("button", "xc-secondary", "Decline");
    shotNo.type = "button";
    shot.appendChild(shotText);
    shot.appendChild(shotLabel);
    shot.appendChild(shotNo);

    var compose = el("form", "xc-compose");
    compose.hidden = true;
    var tl = el("label", "xc-sr", "Message");
    tl.htmlFor = "xc-text";
    var text = el("textarea");
    text.id = "xc-text";
    text.rows = 1;
    text.placeholder = "Type a message\u2026";
    var send = el("button", "xc-primary", "Send");
    send.type = "submit";
    compose.appendChild(tl);
    compose.appendChild(text);
    compose.appendChild(send);
    var sendErr = el("p", "xc-error", "");
    sendErr.setAttribute("role", "alert");

    box.appendChild(head);
    box.appendChild(form);
    box.appendChild(log);
    box.appendChild(typing);
    box.appendChild(shot);
    box.appendChild(sendErr);
    box.appendChild(compose);
    document.body.appendChild(launcher);
    document.body.appendChild(box);

    ui = {
      launcher: launcher, box: box, img: img, status: status, endBtn: endBtn, close: close,
      form: form, hint: hint, name: name, email: email, formErr: formErr, startBtn: startBtn,
      log: log, typing: typing, shot: shot, shotInput: shotInput, shotNo: shotNo,
      compose: compose, text: text, send: send, sendErr: sendErr
    };

    close.addEventListener("click", minimise);
    box.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") {
        minimise();
      }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      startChat();
    });
    compose.addEventListener("submit", function (ev) {
      ev.preventDefault();
      sendText();
    });
    var sentByEnter = false;
    text.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey) {
        ev.preventDefault();
        sentByEnter = true;
        sendText();
      }
    });
    text.addEventListener("beforeinput", function (ev) {
      // the line break of the Enter that sent the message, where a
      // browser still delivers it after the keydown was cancelled
      if (sentByEnter && (ev.inputType === "insertLineBreak" || ev.inputType === "insertParagraph")) {
        ev.preventDefault();
      }
      sentByEnter = false;
    });
    text.addEventListener("keyup", function () {
      sentByEnter = false;
    });
    text.addEventListener("input", typed);
    text.addEventListener("focus", function () {
      if (st.chat) {
        post("/focus").catch(function () {});
      }
    });
    endBtn.addEventListener("click", function () {
      endChat(false);
    });
    shotNo.addEventListener("click", function () {
      answerShot(null);
    });
    shotInput.addEventListener("change", function () {
      var f = shotInput.files && shotInput.files[0];
      if (f) {
        answerShot(f);
      }
    });
    return ui;
  }

  function open() {
    build();
    if (!st.chat && !ui.log.hidden) {
      resetView(); // the last chat ended: a new one starts with the form
    }
    ui.box.hidden = false;
    ui.launcher.hidden = true;
    if (!st.chat) {
      showQueueHint();
    }
    if (st.chat) {
      ui.text.focus();
    } else {
      ui.name.focus();
    }
  }

  function minimise() {
    ui.box.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.focus();
  }

  // The queue of the chosen skill, in the form, when the bridge serves
  // QueueStates.
  function showQueueHint() {
    ready().then(function (s) {
      if (!s.queueStatus || !st.skill) {
        return null;
      }
      return fetchStatus();
    }).then(function (qs) {
      var q = qs && qs[st.skill];
      if (!q) {
        ui.hint.hidden = true;
        return;
      }
      var text;
      if (q.thereAreAgentsReady) {
        text = "An agent is ready to chat.";
      } else if (q.thereAreAgentsLoggedIn) {
        text = "All agents are busy: estimated wait about " + Math.max(1, Math.round(q.estimatedWaitTime / 60)) + " min.";
      } else {
        text = "No agent is online right now; we will answer as soon as one is.";
      }
      ui.hint.textContent = text;
      ui.hint.hidden = false;
    }, function () {
      ui.hint.hidden = true;
    });
  }

  function resetView() {
    ui.log.textContent = "";
    ui.log.hidden = true;
    ui.compose.hidden = true;
    ui.endBtn.hidden = true;
    ui.form.hidden = false;
    ui.img.hidden = true;
    ui.sendErr.textContent = "";
    setStatus("");
    st.log = null;
    clearLog();
  }

  function setStatus(s) {
    ui.status.textContent = s;
  }

  function showAgent(name, image) {
    if (image && image.indexOf("data:image/") === 0) {
      ui.img.src = image;
      ui.img.hidden = false;
    }
    if (name) {
      setStatus(name);
      ui.img.alt = "";
    }
  }

  function showChatView() {
    ui.form.hidden = true;
    ui.log.hidden = false;
    ui.compose.hidden = false;
    ui.endBtn.hidden = false;
  }

  function addItem(item) {
    var li = el("li", "xc-msg xc-" + item.kind + (item.failed ? " xc-failed" : ""));
    li.setAttribute("data-id", item.id || "");
    if (item.kind === "agent" || item.kind === "me") {
      var who = el("span", "xc-from", item.kind === "me" ? "You" : (item.who || "Agent"));
      var body = el("p", "xc-text", item.text);
      li.appendChild(who);
      li.appendChild(body);
    } else {
      li.textContent = item.text;
    }
    ui.log.appendChild(li);
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function record(item) {
    st.log.items.push(item);
    saveLog();
    addItem(item);
  }

  // The service may tell the wait again and again while the chat is
  // queued: one line, kept up to date.
  function waitNote(id, text) {
    var items = st.log.items;
    if (items.length && items[items.length - 1].wait) {
      items[items.length - 1].text = text;
      saveLog();
      var li = ui.log.lastElementChild;
      if (li) {
        li.textContent = text;
      }
      return;
    }
    record({ id: id, kind: "note", wait: true, text: text });
  }

  function render() {
    ui.log.textContent = "";
    st.log.items.forEach(addItem);
    if (st.log.agent || st.log.image) {
      showAgent(st.log.agent, st.log.image);
    } else if (st.log.wait) {
      setStatus("Estimated wait: " + st.log.wait);
    }
    ui.shot.hidden = !st.log.shot;
  }

  // ---------- the chat ----------

  function startChat() {
    ui.formErr.textContent = "";
    if (!ui.form.reportValidity()) {
      return;
    }
    ui.startBtn.disabled = true;
    var body = {
      name: ui.name.value.trim(),
      email: ui.email.value.trim(),
      skill: st.skill || "",
      customParameters: st.params
    };
    if (st.config && st.config.captcha) {
      body.captchaToken = st.captchaToken;
    }
    post("/start", body).then(function (r) {
      begin(r.chat, true);
    }, function (e) {
      ui.formErr.textContent = e.message || "The chat could not start.";
    }).then(function () {
      ui.startBtn.disabled = false;
    });
  }

  function begin(chat, fresh) {
    st.chat = chat;
    if (fresh) {
      clearLog();
    }
    st.log = loadLog(chat.id);
    build();
    showChatView();
    render();
    if (st.log.ended) {
      finish(false);
      return;
    }
    if (fresh) {
      setStatus("Waiting for an agent\u2026");
    }
    connect();
    ui.text.focus();
  }

  function connect() {
    if (st.es) {
      st.es.close();
    }
    var es = new EventSource(base + "/events?last=" + encodeURIComponent(st.log.last || ""));
    st.es = es;
    es.onmessage = function (ev) {
      var m;
      try {
        m = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      handle(m);
    };
    es.addEventListener("bridge-error", function () {
      setStatus("Reconnecting\u2026");
    });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED && st.chat && st.es === es) {
        // the bridge refused the stream (no chat any more?): ask it
        st.ready = null;
        ready().then(function (s) {
          if (!s.chat && st.chat) {
            finish(true);
          } else if (st.chat) {
            setTimeout(connect, 2000);
          }
        }, function () {
          setTimeout(connect, 2000);
        });
      }
    };
  }

  // Acknowledgements: a message is deleted from the queue only once the
  // page has it (stored, shown); a repeat is acknowledged again, since
  // each delivery has its own receipt.
  var acks = [];
  var ackTimer = 0;

  function ack(token) {
    if (!token) {
      return;
    }
    acks.push(token);
    if (!ackTimer) {
      ackTimer = setTimeout(flushAcks, 50);
    }
  }

  function flushAcks() {
    ackTimer = 0;
    var batch = acks.splice(0, 50);
    if (!batch.length) {
      return;
    }
    // a lost ack only means the message comes again (and is dropped)
    post("/ack", { acks: batch }).catch(function () {});
    if (acks.length) {
      ackTimer = setTimeout(flushAcks, 50);
    }
  }

  function onEvent(m) {
    if (!st.log || (m.id && st.log.seen[m.id])) {
      return; // at-least-once from the queue: shown once (and acknowledged again)
    }
    if (m.id) {
      st.log.seen[m.id] = 1;
    }
    if (m.ack) {
      st.log.last = m.ack;
    }
    switch (m.type) {
    case "ESTIMATED_WAIT_TIME":
      st.log.wait = m.wait || "";
      if (!st.log.agent) {
        setStatus("Estimated wait: " + st.log.wait);
      }
      waitNote(m.id, "Estimated wait: " + st.log.wait);
      break;
    case "CHAT_STARTED":
    case "CHAT_TRANSFERRED":
      st.log.agent = m.agent || "Agent";
      st.log.image = m.image || st.log.image;
      showAgent(st.log.agent, st.log.image);
      record({ id: m.id, kind: "note", text: m.type === "CHAT_STARTED" ? st.log.agent + " joined the chat" : "You were transferred to " + st.log.agent });
      break;
    case "AGENT_TYPING":
      ui.typing.textContent = m.typing ? (st.log.agent || "The agent") + " is typing\u2026" : "";
      ui.typing.hidden = !m.typing;
      saveLog();
      break;
    case "CHAT_TEXT":
      ui.typing.hidden = true;
      record({ id: m.id, kind: "agent", who: st.log.agent, text: m.text || "" });
      break;
    case "TAKE_SCREENSHOT":
      st.log.shot = true;
      ui.shot.hidden = false;
      record({ id: m.id, kind: "note", text: "The agent asked for a screenshot." });
      ui.shotNo.focus();
      break;
    default:
      if (TERMINAL[m.type]) {
        record({ id: m.id, kind: "note", text: m.type === "CHAT_ENDED" ? "The agent ended the chat." : "The chat was closed." });
        finish(true);
        post("/end", { byAgent: true }).catch(function () {});
      } else {
        saveLog();
      }
    }
  }

  function handle(m) {
    onEvent(m);
    saveLog();
    ack(m.ack); // after it was stored: a reload shows it from storage
    if (m.end) {
      flushAcks();
    }
  }

  function finish(note) {
    if (st.es) {
      st.es.close();
      st.es = null;
    }
    st.log.ended = true;
    saveLog();
    if (note && !st.log.items.length) {
      record({ kind: "note", text: "The chat has ended." });
    }
    ui.typing.hidden = true;
    ui.shot.hidden = true;
    ui.compose.hidden = true;
    ui.endBtn.hidden = true;
    setStatus("Chat ended");
    st.chat = null;
  }

  function sendText() {
    var t = ui.text.value.trim();
    if (!t || !st.chat) {
      return;
    }
    ui.sendErr.textContent = "";
    ui.text.value = "";
    stopTyping();
    var item = { kind: "me", text: t };
    record(item); // shown at once, in the order the user wrote it
    post("/send", { text: t }).catch(function (e) {
      item.failed = true;
      item.text = t + " (not sent)";
      saveLog();
      render();
      ui.sendErr.textContent = e.message || "The message could not be sent.";
      if (e.status === 409) {
        finish(true);
      }
    });
    ui.text.focus();
  }

  function typed() {
    if (!st.chat) {
      return;
    }
    if (!st.typingSent) {
      st.typingSent = true;
      post("/typing", { typing: true }).catch(function () {});
    }
    clearTimeout(st.typingTimer);
    st.typingTimer = setTimeout(stopTyping, 3000);
  }

  function stopTyping() {
    clearTimeout(st.typingTimer);
    if (st.typingSent && st.chat) {
      st.typingSent = false;
      post("/typing", { typing: false }).catch(function () {});
    }
  }

  function answerShot(file) {
    var done = function (text) {
      st.log.shot = false;
      ui.shot.hidden = true;
      ui.shotInput.value = "";
      record({ kind: "note", text: text });
    };
    if (!file) {
      post("/screenshot/reject").then(function () {
        done("You declined the screenshot.");
      }, function (e) {
        ui.sendErr.textContent = e.message;
      });
      return;
    }
    file.arrayBuffer().then(function (buf) {
      return post("/screenshot", buf, "image/png");
    }).then(function () {
      done("You shared a screenshot.");
    }, function (e) {
      ui.sendErr.textContent = e.message || "The screenshot could not be shared.";
    });
  }

  function endChat(byAgent) {
    post("/end", { byAgent: byAgent }).then(function () {
      record({ kind: "note", text: "You ended the chat." });
      finish(false);
    }, function (e) {
      ui.sendErr.textContent = e.message;
    });
  }

  // ---------- queue status (sections 8.1 and 8.2) ----------

  function fetchStatus() {
    return get("/queue-status");
  }

  function pollStatus() {
    fetchStatus().then(function (qs) {
      var s = JSON.stringify(qs);
      if (s !== st.lastStatus) {
        st.lastStatus = s;
        st.statusSubs.forEach(function (f) {
          try {
            f(JSON.parse(s));
          } catch (e) {
            setTimeout(function () { throw e; });
          }
        });
      }
    }, function () {}).then(function () {
      st.statusTimer = setTimeout(pollStatus, (st.config && st.config.queueStatusIntervalMs) || 5000);
    });
  }

  // ---------- window._ximachat.api ----------

  function checkCallback(f, name) {
    if (typeof f !== "function") {
      throw new TypeError("_ximachat.api." + name + ": the onQueueStatus callback is required");
    }
  }

  var api = {
    // 8.1: calls onQueueStatus once with the current QueueStates.
    getQueueStatus: function (onQueueStatus) {
      checkCallback(onQueueStatus, "getQueueStatus");
      ready().then(fetchStatus).then(function (qs) {
        onQueueStatus(qs);
      });
    },
    // 8.2: calls onQueueStatus now and each time the QueueStates change.
    subscribeToQueueStatus: function (onQueueStatus) {
      checkCallback(onQueueStatus, "subscribeToQueueStatus");
      st.statusSubs.push(onQueueStatus);
      if (st.lastStatus !== null) {
        onQueueStatus(JSON.parse(st.lastStatus));
      }
      if (!st.statusTimer) {
        st.statusTimer = -1;
        ready().then(pollStatus);
      }
    },
    // 8.3: [{Name, Value}], sent as the session's custom chat info.
    setCustomParameters: function (customParameters) {
      if (!Array.isArray(customParameters)) {
        throw new TypeError("_ximachat.api.setCustomParameters: a list of {Name, Value} is required");
      }
      st.params = customParameters.map(function (p) {
        return { Name: String(p.Name), Value: String(p.Value) };
      });
    },
    // 8.4
    setSkill: function (skill) {
      st.skill = skill === undefined || skill === null ? undefined : String(skill);
    },
    // 8.5: undefined until set.
    getSkill: function () {
      return st.skill;
    },
    // 8.6 and 8.7: open the form (the skill, if given, is the chat's).
    manuallyStartChat: function (skill) {
      if (skill !== undefined && skill !== null) {
        api.setSkill(skill);
      }
      open();
    }
  };

  window._ximachat = window._ximachat || {};
  window._ximachat.api = api;
  // Not part of section 8: the captcha token for a bridge without an API key.
  window._ximachat.setCaptchaToken = function (token) {
    st.captchaToken = String(token || "");
  };

  function boot() {
    build();
    ready().then(function (s) {
      if (s.chat) {
        begin(s.chat, false);
        ui.box.hidden = false;
        return;
      }
      clearLog();
      if (showOnLoad) {
        ui.launcher.hidden = false;
      }
    }, function () {
      if (showOnLoad) {
        ui.launcher.hidden = false;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
