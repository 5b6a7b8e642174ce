// Search for a hindsight archive: runs in the browser against the static index that the
// build writes under /search/ (see src/render/search.rs and docs/search.md). No dependencies.
//
// On every page: reveals the search box in the header and makes `/` focus it.
// On /search/: reads the query and filters from the URL, fetches only the index shards the
// query's words can be in, shows facets with counts and the results, and keeps the URL in
// step so that a search can be pasted into an incident channel.
//
// Everything from the index is put on the page with textContent, never as HTML.
(function () {
  "use strict";

  // --- Matching: must do exactly what normalize() and terms() do in src/render/search.rs.

  var MAX_TERM_CHARS = 40;
  var ASCII = /^[\x00-\x7f]*$/;
  var MARK = /\p{M}/u;
  var NOT_TERM = /[^\p{Alphabetic}\p{N}]+/u;
  var WORD = /[\p{Alphabetic}\p{N}\p{M}]+/gu;
  // Words shorter than this match whole; longer ones also match as prefixes ("certif").
  var PREFIX_MIN_CHARS = 3;

  function normalize(text) {
    if (ASCII.test(text)) return text.toLowerCase();
    var out = "";
    for (var ch of text.normalize("NFD")) {
      if (!MARK.test(ch)) out += ch.toLowerCase();
    }
    return out;
  }

  function terms(text) {
    return normalize(text).split(NOT_TERM).filter(function (t) {
      return t !== "" && Array.from(t).length <= MAX_TERM_CHARS;
    });
  }

  function isPrefixWord(word) {
    return Array.from(word).length >= PREFIX_MIN_CHARS;
  }

  function termMatches(term, word) {
    return term === word || (isPrefixWord(word) && term.startsWith(word));
  }

  // --- The index.

  var FIELD_WEIGHT = [[1, 8], [2, 4], [4, 2], [8, 1]]; // title, summary, meta, body
  var PAGE_SIZE = 20;
  // Values a facet shows before a "Show more" button (the most frequent first).
  var FACET_VISIBLE = 8;

  function Index(base, meta) {
    this.base = base;
    this.count = meta.count;
    this.shards = meta.shards;
    this.facets = meta.facets.map(function (f) {
      var byId = new Map();
      f.values.forEach(function (v, i) { byId.set(v[0], i); });
      return { name: f.name, label: f.label, values: f.values, docs: f.docs, byId: byId };
    });
    this.shardCache = new Map();
    this.docCache = new Map();
  }

  Index.load = function (base) {
    return fetchJson(base + "/search/index.json").then(function (meta) {
      return new Index(base, meta);
    });
  };

  // A shard's file is named by its key's UTF-8 bytes in hex, as the build writes it.
  function shardFile(key) {
    return Array.from(new TextEncoder().encode(key), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function fetchJson(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    });
  }

  // The shards a word's terms can be in: a term lives in the shard with the longest key
  // that is a prefix of it, so a prefix word also needs the shards whose keys extend it.
  Index.prototype.shardsFor = function (word) {
    var best = -1;
    var found = [];
    var prefix = isPrefixWord(word);
    for (var n = 0; n < this.shards.length; n++) {
      var key = this.shards[n];
      if (word.startsWith(key)) {
        if (best < 0 || key.length > this.shards[best].length) best = n;
      } else if (prefix && key.startsWith(word)) {
        found.push(n);
      }
    }
    if (best >= 0) found.push(best);
    return found;
  };

  Index.prototype.shard = function (n) {
    if (!this.shardCache.has(n)) {
      var self = this;
      var pending = fetchJson(this.base + "/search/terms/" + shardFile(this.shards[n]) + ".json").catch(function (error) {
        self.shardCache.delete(n);
        throw error;
      });
      this.shardCache.set(n, pending);
    }
    return this.shardCache.get(n);
  };

  Index.prototype.doc = function (id) {
    if (!this.docCache.has(id)) {
      this.docCache.set(id, fetchJson(this.base + "/search/doc/" + id + ".json"));
    }
    return this.docCache.get(id);
  };

  // For one query word: the fields each document matches it in (0 for none), and whether
  // the word is a whole term there.
  Index.prototype.matchWord = function (word) {
    var self = this;
    return Promise.all(this.shardsFor(word).map(function (n) { return self.shard(n); }))
      .then(function (shards) {
        var fields = new Uint8Array(self.count);
        var whole = new Uint8Array(self.count);
        shards.forEach(function (shard) {
          for (var term in shard) {
            if (!termMatches(term, word)) continue;
            var postings = shard[term];
            var id = 0;
            for (var i = 0; i < postings.length; i++) {
              id += Math.floor(postings[i] / 16);
              fields[id] |= postings[i] & 15;
              if (term === word) whole[id] = 1;
            }
          }
        });
        return { fields: fields, whole: whole };
      });
  };

  // Documents matching every word, best first: title hits, then summary, then services,
  // tags and action items, then body; newest first among equals. Without words, every
  // document, newest first. Ids count the documents oldest first.
  Index.prototype.search = function (words) {
    var self = this;
    if (words.length === 0) {
      var all = [];
      for (var id = this.count - 1; id >= 0; id--) all.push(id);
      return Promise.resolve(all);
    }
    return Promise.all(words.map(function (w) { return self.matchWord(w); })).then(function (matches) {
      var scored = [];
      for (var id = 0; id < self.count; id++) {
        var score = 0;
        var every = true;
        for (var m = 0; m < matches.length; m++) {
          var f = matches[m].fields[id];
          if (f === 0) { every = false; break; }
          for (var w = 0; w < FIELD_WEIGHT.length; w++) {
            if (f & FIELD_WEIGHT[w][0]) score += FIELD_WEIGHT[w][1];
          }
          if (matches[m].whole[id]) score += 0.5;
        }
        if (every) scored.push([score, id]);
      }
      scored.sort(function (a, b) { return b[0] - a[0] || b[1] - a[1]; });
      return scored.map(function (s) { return s[1]; });
    });
  };

  function facetHas(facet, id, selected) {
    var v = facet.docs[id];
    if (Array.isArray(v)) return v.some(function (x) { return selected.has(x); });
    return selected.has(v);
  }

  // Filters combine: any selected value within a facet, every facet with a selection.
  // Each facet's counts leave out its own selection, so they show what choosing more of
  // its values would add.
  Index.prototype.refine = function (ids, filters) {
    var facets = this.facets;
    var active = facets.filter(function (f) { return filters[f.name] && filters[f.name].size > 0; });
    var results = [];
    var counts = facets.map(function (f) { return new Array(f.values.length).fill(0); });
    ids.forEach(function (id) {
      var failed = 0;
      var failedFacet = null;
      for (var i = 0; i < active.length && failed < 2; i++) {
        if (!facetHas(active[i], id, filters[active[i].name])) {
          failed++;
          failedFacet = active[i];
        }
      }
      if (failed === 0) results.push(id);
      if (failed >= 2) return;
      facets.forEach(function (f, n) {
        if (failed === 1 && f !== failedFacet) return;
        var v = f.docs[id];
        if (Array.isArray(v)) v.forEach(function (x) { counts[n][x]++; });
        else if (v >= 0) counts[n][v]++;
      });
    });
    return { results: results, counts: counts };
  };

  // --- Highlighting: the words of a text that match the query, as marked segments.

  function segments(text, words) {
    var out = [];
    var last = 0;
    if (words.length > 0) {
      for (var match of text.matchAll(WORD)) {
        var hit = terms(match[0]).some(function (term) {
          return words.some(function (w) { return termMatches(term, w); });
        });
        if (!hit) continue;
        if (match.index > last) out.push({ text: text.slice(last, match.index), mark: false });
        out.push({ text: match[0], mark: true });
        last = match.index + match[0].length;
      }
    }
    if (last < text.length) out.push({ text: text.slice(last), mark: false });
    return out;
  }

  function firstHit(text, words) {
    if (words.length === 0) return -1;
    for (var match of text.matchAll(WORD)) {
      var hit = terms(match[0]).some(function (term) {
        return words.some(function (w) { return termMatches(term, w); });
      });
      if (hit) return match.index;
    }
    return -1;
  }

  var EXCERPT_BEFORE = 80;
  var EXCERPT_LENGTH = 260;

  // The summary when it matches (or nothing in the body does), else the body around the
  // first match.
  function excerpt(doc, words) {
    if (words.length === 0 || firstHit(doc.summary, words) >= 0) return doc.summary;
    var at = firstHit(doc.text, words);
    if (at < 0) return doc.summary;
    var start = Math.max(0, at - EXCERPT_BEFORE);
    if (start > 0) {
      var space = doc.text.indexOf(" ", start);
      if (space >= 0 && space < at) start = space + 1;
    }
    var end = Math.min(doc.text.length, start + EXCERPT_LENGTH);
    if (end < doc.text.length) {
      var cut = doc.text.lastIndexOf(" ", end);
      if (cut > at) end = cut;
    }
    var body = doc.text.slice(start, end).replace(/\s+/g, " ").trim();
    return (start > 0 ? "… " : "") + body + (end < doc.text.length ? " …" : "");
  }

  // --- The page.

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function appendMarked(parent, text, words) {
    segments(text, words).forEach(function (s) {
      if (s.mark) parent.appendChild(element("mark", "", s.text));
      else parent.appendChild(document.createTextNode(s.text));
    });
  }

  function readState(index) {
    var params = new URLSearchParams(location.search);
    var filters = {};
    index.facets.forEach(function (f) {
      var selected = new Set();
      params.getAll(f.name).forEach(function (id) {
        if (f.byId.has(id)) selected.add(f.byId.get(id));
      });
      filters[f.name] = selected;
    });
    return { q: params.get("q") || "", filters: filters };
  }

  function stateUrl(index, state) {
    var params = new URLSearchParams();
    if (state.q.trim() !== "") params.set("q", state.q);
    index.facets.forEach(function (f) {
      Array.from(state.filters[f.name]).sort(function (a, b) { return a - b; }).forEach(function (i) {
        params.append(f.name, f.values[i][0]);
      });
    });
    var query = params.toString();
    return location.pathname + (query ? "?" + query : "");
  }

  function SearchPage(root, index) {
    this.root = root;
    this.index = index;
    this.input = root.querySelector("#search-q");
    this.facetsNode = root.querySelector("#search-facets");
    this.status = root.querySelector("#search-status");
    this.list = root.querySelector("#search-results");
    this.more = root.querySelector("#search-more");
    this.clear = root.querySelector("#search-clear");
    this.state = readState(index);
    this.results = [];
    this.shown = 0;
    this.active = -1;
    this.generation = 0;
    this.expanded = new Set();
    this.input.value = this.state.q;
    this.wire();
    this.run();
  }

  SearchPage.prototype.wire = function () {
    var self = this;
    var timer = null;
    this.input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        self.state.q = self.input.value;
        history.replaceState(null, "", stateUrl(self.index, self.state));
        self.run();
      }, 60);
    });
    this.input.form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (self.active >= 0) self.open(self.active);
    });
    this.root.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (self.shown === 0 || event.target.type === "checkbox") return;
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        self.select(Math.max(-1, Math.min(self.shown - 1, self.active + step)));
      } else if (event.key === "Enter" && event.target === self.input && self.active >= 0) {
        event.preventDefault();
        self.open(self.active);
      }
    });
    this.more.addEventListener("click", function () { self.showMore(); });
    this.clear.addEventListener("click", function (event) {
      event.preventDefault();
      self.index.facets.forEach(function (f) { self.state.filters[f.name] = new Set(); });
      history.pushState(null, "", stateUrl(self.index, self.state));
      self.run();
    });
    window.addEventListener("popstate", function () {
      self.state = readState(self.index);
      self.input.value = self.state.q;
      self.run();
    });
  };

  SearchPage.prototype.words = function () {
    return terms(this.state.q);
  };

  SearchPage.prototype.run = function () {
    var self = this;
    var generation = ++this.generation;
    var words = this.words();
    var started = performance.now();
    return this.index.search(words).then(function (ids) {
      if (generation !== self.generation) return;
      var refined = self.index.refine(ids, self.state.filters);
      self.results = refined.results;
      self.renderFacets(refined.counts);
      self.renderStatus(words);
      self.list.textContent = "";
      self.shown = 0;
      self.active = -1;
      self.showMore();
      // From the keystroke's query to facets and results on screen (benches/search_query.py).
      performance.measure("hindsight-search", { start: started });
    }).catch(function (error) {
      self.status.textContent = "Search failed: " + error.message;
    });
  };

  SearchPage.prototype.renderStatus = function (words) {
    var n = this.results.length;
    var filtered = this.index.facets.some(function (f) { return this.state.filters[f.name].size > 0; }, this);
    this.clear.hidden = !filtered;
    var what = n === 1 ? "1 document" : n + " documents";
    if (words.length > 0) {
      this.status.textContent = n === 0
        ? "Nothing matches “" + this.state.q.trim() + "”" + (filtered ? " with these filters." : ".")
        : what + " match “" + this.state.q.trim() + "”, best first.";
    } else {
      this.status.textContent = filtered ? what + ", newest first." : "All " + what + ", newest first. Type to search, or pick a filter.";
    }
  };

  SearchPage.prototype.renderFacets = function (counts) {
    var self = this;
    var focused = document.activeElement;
    var refocus = focused && focused.type === "checkbox" && this.facetsNode.contains(focused)
      ? [focused.name, focused.value] : null;
    this.facetsNode.textContent = "";
    this.index.facets.forEach(function (f, n) {
      var selected = self.state.filters[f.name];
      var order = f.values.map(function (_, i) { return i; }).filter(function (i) {
        return counts[n][i] > 0 || selected.has(i);
      });
      if (order.length === 0) return;
      if (f.name === "service" || f.name === "tag") {
        order.sort(function (a, b) { return counts[n][b] - counts[n][a] || a - b; });
      }
      var hidden = 0;
      if (order.length > FACET_VISIBLE && !self.expanded.has(f.name)) {
        var kept = order.filter(function (i, k) { return k < FACET_VISIBLE || selected.has(i); });
        hidden = order.length - kept.length;
        order = kept;
      }
      var fieldset = element("fieldset", "facet");
      fieldset.dataset.facet = f.name;
      fieldset.appendChild(element("legend", "", f.label));
      order.forEach(function (i) {
        var label = element("label", "facet-value");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = f.name;
        box.value = f.values[i][0];
        box.checked = selected.has(i);
        box.addEventListener("change", function () {
          if (box.checked) selected.add(i); else selected.delete(i);
          history.pushState(null, "", stateUrl(self.index, self.state));
          self.run();
        });
        label.appendChild(box);
        label.appendChild(element("span", "facet-label", f.values[i][1]));
        label.appendChild(element("span", "count", String(counts[n][i])));
        fieldset.appendChild(label);
        if (refocus && refocus[0] === f.name && refocus[1] === box.value) {
          setTimeout(function () { box.focus(); }, 0);
        }
      });
      if (hidden > 0) {
        var more = element("button", "facet-more", "Show " + hidden + " more");
        more.type = "button";
        more.addEventListener("click", function () {
          self.expanded.add(f.name);
          self.renderFacets(counts);
          var first = self.facetsNode.querySelector("[data-facet='" + f.name + "'] input:not(:checked)");
          if (first) first.focus();
        });
        fieldset.appendChild(more);
      }
      self.facetsNode.appendChild(fieldset);
    });
  };

  SearchPage.prototype.showMore = function () {
    var self = this;
    var words = this.words();
    var end = Math.min(this.results.length, this.shown + PAGE_SIZE);
    var generation = this.generation;
    for (var k = this.shown; k < end; k++) {
      var id = this.results[k];
      var item = element("li", "doc-row result");
      item.id = "result-" + k;
      item.dataset.doc = String(id);
      this.list.appendChild(item);
      this.fill(item, id, words, generation);
    }
    this.shown = end;
    this.more.hidden = this.shown >= this.results.length;
  };

  SearchPage.prototype.facetValues = function (name, id) {
    var f = this.index.facets.find(function (facet) { return facet.name === name; });
    if (!f) return [];
    var v = f.docs[id];
    var list = Array.isArray(v) ? v : (v >= 0 ? [v] : []);
    return list.map(function (i) { return { index: i, label: f.values[i][1] }; });
  };

  SearchPage.prototype.fill = function (item, id, words, generation) {
    var self = this;
    this.index.doc(id).then(function (doc) {
      if (generation !== self.generation) return;
      var head = element("div", "doc-row-head");
      self.facetValues("severity", id).forEach(function (s) {
        head.appendChild(element("span", "sev sev-" + Math.min(s.index + 1, 5), s.label));
      });
      var link = element("a", "doc-title");
      link.href = doc.url;
      appendMarked(link, doc.title, words);
      head.appendChild(link);
      item.appendChild(head);

      var meta = element("div", "doc-row-meta");
      var time = element("time", "", doc.date);
      time.dateTime = doc.date;
      meta.appendChild(time);
      self.facetValues("kind", id).forEach(function (k) {
        if (k.index === 1) meta.appendChild(element("span", "badge", k.label));
      });
      self.facetValues("service", id).forEach(function (s) {
        meta.appendChild(element("span", "chip", s.label));
      });
      item.appendChild(meta);

      var text = excerpt(doc, words);
      if (text) {
        var p = element("p", "doc-summary excerpt");
        appendMarked(p, text, words);
        item.appendChild(p);
      }
    }).catch(function () {
      item.textContent = "This result could not be loaded.";
    });
  };

  SearchPage.prototype.select = function (k) {
    var previous = this.list.querySelector(".result.active");
    if (previous) previous.classList.remove("active");
    this.active = k;
    if (k < 0) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    var item = this.list.children[k];
    item.classList.add("active");
    this.input.setAttribute("aria-activedescendant", item.id);
    item.scrollIntoView({ block: "nearest" });
  };

  SearchPage.prototype.open = function (k) {
    var link = this.list.children[k] && this.list.children[k].querySelector("a.doc-title");
    if (link) location.assign(link.href);
  };

  // --- Every page.

  function searchBox() {
    return document.getElementById("search-q") || document.getElementById("site-search-q");
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    var box = searchBox();
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  var header = document.querySelector(".site-search");
  if (header) header.hidden = false;

  var root = document.getElementById("search");
  if (root) {
    root.hidden = false;
    var status = root.querySelector("#search-status");
    status.textContent = "Loading the index…";
    Index.load(root.dataset.searchBase || "").then(function (index) {
      new SearchPage(root, index);
    }).catch(function (error) {
      status.textContent = "The search index could not be loaded (" + error.message + ").";
    });
  }
})();
