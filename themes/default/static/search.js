// Search for a hindsight archive: runs in the browser against the static index that the
// build writes under /search/ (see src/render/search.rs and docs/search.md). No dependencies.
//
// On every page: reveals the search box in the header and makes `/` focus it.
// On /search/: reads the query and filters from the URL, fetches only the index shards the
// query's words can be in, shows facets with counts and the results, and keeps the URL in
// step so that a search can be pasted into an incident channel.
//
// A query word finds its own form, the other forms of its stem ("exhausted" finds
// "exhaustion"), and, when typed as the start of a word, the words it begins. A word found
// nowhere is corrected to the nearest frequent word of the archive, and the page says so.
// When no document has every word, the documents with most of them are shown, and the page
// says which words were left out. "Quoted words" must be a phrase; -word excludes a word.
//
// Everything from the index or the query is put on the page with textContent, never as HTML.
(function () {
  "use strict";

  // --- Words: must do exactly what normalize(), terms() and stem() do in
  // src/render/search/words.rs, since the browser looks up what the build wrote.

  var MAX_TERM_CHARS = 40;
  var ASCII = /^[\x00-\x7f]*$/;
  var MARK = /\p{M}/u;
  var ALNUM = /[\p{Alphabetic}\p{N}]/u;
  var JOINER = /^[-_.]$/;
  var JOINED = /[-_.]/;
  var APOSTROPHE = /^['\u2019]$/;
  var LETTERS = /^[a-z]+$/;
  var LETTER = /^\p{Alphabetic}/u;
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

  function length(term) {
    return Array.from(term).length;
  }

  // The tokens of a text: each is a list of runs of letters and digits ("parts") that were
  // joined by single `-`, `_` or `.` (an identifier such as `ebs-csi-driver` or `1.1.1.1`),
  // with the joiners; runs joined by an apostrophe are one part (`king's` is `kings`).
  function tokens(text) {
    var chars = Array.from(normalize(text));
    var found = [];
    var parts = [];
    var joiners = [];
    var part = "";
    function endToken() {
      if (part !== "") parts.push(part);
      if (parts.length > 0) found.push({ parts: parts, joiners: joiners.slice(0, parts.length - 1) });
      parts = [];
      joiners = [];
      part = "";
    }
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i];
      if (ALNUM.test(c)) {
        part += c;
        continue;
      }
      var inner = part !== "" && i + 1 < chars.length && ALNUM.test(chars[i + 1]);
      if (inner && APOSTROPHE.test(c)) continue;
      if (inner && JOINER.test(c)) {
        parts.push(part);
        joiners.push(c);
        part = "";
        continue;
      }
      endToken();
    }
    endToken();
    return found;
  }

  // A token as one term, joiners kept: `ebs-csi-driver`.
  function whole(token) {
    var out = token.parts[0];
    for (var i = 1; i < token.parts.length; i++) out += token.joiners[i - 1] + token.parts[i];
    return out;
  }

  // The terms of a text as the index holds them: every part, and each identifier whole.
  function terms(text) {
    var out = [];
    tokens(text).forEach(function (token) {
      token.parts.forEach(function (p) { if (length(p) <= MAX_TERM_CHARS) out.push(p); });
      if (token.parts.length > 1) {
        var w = whole(token);
        if (length(w) <= MAX_TERM_CHARS) out.push(w);
      }
    });
    return out;
  }

  // --- The Snowball English (Porter2) stemmer, for words of the letters a to z only; any
  // other term is its own stem. Written from the published algorithm; the index's stems come
  // from the rust-stemmers crate, and tests/search_browser.rs checks both agree on a list of
  // every word of the real corpora.

  var VOWELS = "aeiouy";
  var EXCEPTIONS = {
    skis: "ski", skies: "sky", dying: "die", lying: "lie", tying: "tie",
    idly: "idl", gently: "gentl", ugly: "ugli", early: "earli", only: "onli", singly: "singl",
    sky: "sky", news: "news", howe: "howe", atlas: "atlas", cosmos: "cosmos", bias: "bias",
    andes: "andes"
  };
  var AFTER_1A = ["inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"];
  var STEP2 = [
    ["ization", "ize"], ["ational", "ate"], ["fulness", "ful"], ["ousness", "ous"],
    ["iveness", "ive"], ["tional", "tion"], ["biliti", "ble"], ["lessli", "less"],
    ["entli", "ent"], ["ation", "ate"], ["alism", "al"], ["aliti", "al"], ["ousli", "ous"],
    ["iviti", "ive"], ["fulli", "ful"], ["enci", "ence"], ["anci", "ance"], ["abli", "able"],
    ["izer", "ize"], ["ator", "ate"], ["alli", "al"], ["bli", "ble"], ["ogi", "og"], ["li", ""]
  ];
  var STEP3 = [
    ["ational", "ate"], ["tional", "tion"], ["alize", "al"], ["icate", "ic"], ["iciti", "ic"],
    ["ative", ""], ["ical", "ic"], ["ness", ""], ["ful", ""]
  ];
  var STEP4 = [
    "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti", "ous",
    "ive", "ize", "ion", "al", "er", "ic"
  ];

  function isVowel(w, i) { return VOWELS.indexOf(w[i]) >= 0; }

  // Where the region after the first non-vowel that follows a vowel begins, from `from`.
  function regionAfter(w, from) {
    for (var i = from; i + 1 < w.length; i++) {
      if (isVowel(w, i) && !isVowel(w, i + 1)) return i + 2;
    }
    return w.length;
  }

  // Whether w ends, at `end`, in a short syllable.
  function shortSyllable(w, end) {
    if (end >= 3 && !isVowel(w, end - 3) && isVowel(w, end - 2) && !isVowel(w, end - 1) &&
        "wxY".indexOf(w[end - 1]) < 0) return true;
    return end === 2 && isVowel(w, 0) && !isVowel(w, 1);
  }

  // The longest of `suffixes` that w ends with, or null.
  function longest(w, suffixes) {
    for (var i = 0; i < suffixes.length; i++) {
      var s = typeof suffixes[i] === "string" ? suffixes[i] : suffixes[i][0];
      if (w.length >= s.length && w.slice(w.length - s.length) === s) return suffixes[i];
    }
    return null;
  }

  function hasVowel(w, from, to) {
    for (var i = from; i < to; i++) if (isVowel(w, i)) return true;
    return false;
  }

  function stem(word) {
    if (!LETTERS.test(word)) return word;
    if (EXCEPTIONS.hasOwnProperty(word)) return EXCEPTIONS[word];
    if (word.length < 3) return word;
    var w = word.split("");
    if (w[0] === "y") w[0] = "Y";
    for (var i = 1; i < w.length; i++) {
      if (w[i] === "y" && isVowel(w, i - 1)) w[i] = "Y";
    }
    w = w.join("");
    var s = w;
    var p1 = /^(gener|commun|arsen)/.test(s) ? s.match(/^(gener|commun|arsen)/)[0].length : regionAfter(s, 0);
    var p2 = regionAfter(s, p1);
    function ends(x) { return s.length >= x.length && s.slice(s.length - x.length) === x; }
    function cut(n) { s = s.slice(0, s.length - n); }

    // Step 1a
    var a = longest(s, ["sses", "ied", "ies", "us", "ss", "s"]);
    if (a === "sses") cut(2);
    else if (a === "ied" || a === "ies") { cut(3); s += s.length > 1 ? "i" : "ie"; }
    else if (a === "s") { if (hasVowel(s, 0, s.length - 2)) cut(1); }
    if (AFTER_1A.indexOf(s) >= 0) return s.replace(/Y/g, "y");

    // Step 1b
    var b = longest(s, ["eedly", "ingly", "edly", "eed", "ing", "ed"]);
    if (b === "eed" || b === "eedly") {
      if (s.length - b.length >= p1) { cut(b.length); s += "ee"; }
    } else if (b !== null && hasVowel(s, 0, s.length - b.length)) {
      cut(b.length);
      if (ends("at") || ends("bl") || ends("iz")) s += "e";
      else if (/(bb|dd|ff|gg|mm|nn|pp|rr|tt)$/.test(s)) cut(1);
      else if (p1 === s.length && shortSyllable(s, s.length)) s += "e";
    }

    // Step 1c
    if ((ends("y") || ends("Y")) && s.length > 2 && !isVowel(s, s.length - 2)) {
      s = s.slice(0, s.length - 1) + "i";
    }

    // Step 2
    var two = longest(s, STEP2);
    if (two && s.length - two[0].length >= p1) {
      var before = s[s.length - two[0].length - 1];
      if (two[0] === "ogi") { if (before === "l") { cut(3); s += "og"; } }
      else if (two[0] === "li") { if (before && "cdeghkmnrt".indexOf(before) >= 0) cut(2); }
      else { cut(two[0].length); s += two[1]; }
    }

    // Step 3
    var three = longest(s, STEP3);
    if (three && s.length - three[0].length >= p1) {
      if (three[0] === "ative") { if (s.length - 5 >= p2) cut(5); }
      else { cut(three[0].length); s += three[1]; }
    }

    // Step 4
    var four = longest(s, STEP4);
    if (four && s.length - four.length >= p2) {
      if (four === "ion") {
        var c = s[s.length - 4];
        if (c === "s" || c === "t") cut(3);
      } else cut(four.length);
    }

    // Step 5
    if (ends("e")) {
      var at = s.length - 1;
      if (at >= p2 || (at >= p1 && !shortSyllable(s, at))) cut(1);
    } else if (ends("l")) {
      if (s.length - 1 >= p2 && s[s.length - 2] === "l") cut(1);
    }
    return s.replace(/Y/g, "y");
  }

  // --- Edit distance, for correcting a word found nowhere: insertions, deletions,
  // substitutions and swaps of two neighbours each count one.

  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var rows = [];
    for (var i = 0; i <= a.length; i++) {
      rows.push(new Array(b.length + 1).fill(0));
      rows[i][0] = i;
    }
    for (var j = 0; j <= b.length; j++) rows[0][j] = j;
    for (i = 1; i <= a.length; i++) {
      var best = limit + 1;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
        rows[i][j] = d;
        if (d < best) best = d;
      }
      if (best > limit) return limit + 1;
    }
    return rows[a.length][b.length];
  }

  // How far a word of this length may be corrected.
  function correctionLimit(word) {
    var n = length(word);
    return n < 4 ? 0 : n < 8 ? 1 : 2;
  }

  // --- The query: words, "phrases" and -exclusions.

  // A query word: its term, stem, and whether it also matches as the start of longer words.
  function queryWord(term) {
    return { term: term, stem: stem(term), prefix: length(term) >= PREFIX_MIN_CHARS && LETTER.test(term) };
  }

  // The query as groups: each a list of words that must all match (an identifier's parts, a
  // phrase's words, or one word), whether it is a phrase, excluded, and the identifier whole.
  function parseQuery(q) {
    var groups = [];
    var re = /(-?)"([^"]*)"?|(\S+)/g;
    var m;
    while ((m = re.exec(q)) !== null) {
      var phrase = m[2] !== undefined;
      var raw = phrase ? m[2] : m[3];
      var exclude = phrase ? m[1] === "-" : raw.length > 1 && raw[0] === "-";
      if (exclude && !phrase) raw = raw.slice(1);
      var found = tokens(raw);
      if (phrase) {
        var words = [];
        found.forEach(function (t) { t.parts.forEach(function (p) { words.push(p); }); });
        if (words.length > 0) groups.push({ words: words.map(queryWord), phrase: words.length > 1, exclude: exclude, whole: null });
      } else {
        found.forEach(function (t) {
          var parts = t.parts.filter(function (p) { return length(p) <= MAX_TERM_CHARS; });
          if (parts.length === 0) return;
          groups.push({
            words: parts.map(queryWord), phrase: false, exclude: exclude,
            whole: t.parts.length > 1 && length(whole(t)) <= MAX_TERM_CHARS ? whole(t) : null
          });
        });
      }
    }
    return groups;
  }

  function queryText(groups) {
    return groups.map(function (g) {
      var text = g.whole || g.words.map(function (w) { return w.term; }).join(" ");
      if (g.phrase) text = "\u201c" + text + "\u201d";
      return (g.exclude ? "-" : "") + text;
    }).join(" ");
  }

  // --- The index.

  // Field bits of a posting, and what a match in each is worth: title above services and
  // tags above summary above headings above body (docs/search.md has the measurements).
  var FIELDS = [[1, 8], [4, 5], [2, 3], [16, 2], [8, 1]]; // title, meta, summary, heading, body
  var BODY = 8;
  // A body's count of a word, in four steps (1, 2-3, 4-7, 8 or more), as the build writes
  // it, and what each step is worth: more mentions count, with diminishing returns.
  var BODY_COUNT_WEIGHT = [1, 1.5, 1.8, 2];
  // What a match is worth by how it matched: the word itself, another form of its stem, a
  // longer word it starts, a correction.
  var EXACT = 1, STEM = 0.8, PREFIX = 0.55, CORRECTED = 0.5;
  // A newer document wins a tie, by at most this much.
  var RECENCY = 0.02;
  // A phrase is checked in the text of at most this many of the best candidates.
  var PHRASE_CANDIDATES = 100;
  var PAGE_SIZE = 20;
  // Values a facet shows before a "Show more" button (the most frequent first).
  var FACET_VISIBLE = 8;

  function Index(base, meta) {
    this.base = base;
    this.count = meta.count;
    this.shards = meta.shards;
    this.facetChunk = meta.facet_chunk;
    // A facet of several values a document (services, tags) has no `docs` until its files
    // arrive (Index.prototype.columns).
    this.facets = meta.facets.map(function (f) {
      var byId = new Map();
      f.values.forEach(function (v, i) { byId.set(v[0], i); });
      return { name: f.name, label: f.label, values: f.values, docs: f.docs || null, byId: byId };
    });
    this.shardCache = new Map();
    this.docCache = new Map();
    this.restCache = new Map();
    this.vocabCache = new Map();
    this.columnsPending = null;
  }

  // Whether every facet has every document's values.
  Index.prototype.complete = function () {
    return this.facets.every(function (f) { return f.docs !== null; });
  };

  // Fetches the facets kept apart from index.json, search/facets/K.json for the documents
  // K * facetChunk on, and gives each facet its documents' values.
  Index.prototype.columns = function () {
    if (this.complete()) return Promise.resolve();
    if (!this.columnsPending) {
      var self = this;
      var files = [];
      for (var k = 0; k * this.facetChunk < this.count; k++) {
        files.push(fetchJson(this.base + "/search/facets/" + k + ".json"));
      }
      this.columnsPending = Promise.all(files).then(function (chunks) {
        self.facets.forEach(function (f) {
          if (f.docs !== null) return;
          var docs = [];
          chunks.forEach(function (chunk) { if (chunk[f.name]) docs = docs.concat(chunk[f.name]); });
          f.docs = docs;
        });
      }).catch(function (error) {
        self.columnsPending = null;
        throw error;
      });
    }
    return this.columnsPending;
  };

  Index.load = function (base) {
    return fetchJson(base + "/search/index.json").then(function (meta) {
      return new Index(base, meta);
    });
  };

  // A file under search/ named by a key's UTF-8 bytes in hex, as the build writes it.
  function hexName(key) {
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

  // The shards that can hold a term starting with `prefix`: a term lives in the shard with
  // the longest key that is a prefix of it, so also every shard whose key extends `prefix`.
  // Without `joined`, not those whose key has a joiner (`dns-a`): they hold identifiers
  // alone, which a word without joiners could match only as their start, and the
  // identifier's first part, indexed with it in the same fields and at least as often,
  // matches that word at least as well. (At 100,000 documents `dns` skips 180 KB of them.)
  Index.prototype.shardsFor = function (prefix, joined) {
    var best = -1;
    var found = [];
    for (var n = 0; n < this.shards.length; n++) {
      var key = this.shards[n];
      if (prefix.startsWith(key)) {
        if (best < 0 || key.length > this.shards[best].length) best = n;
      } else if (key.startsWith(prefix) && (joined || !JOINED.test(key))) {
        found.push(n);
      }
    }
    if (best >= 0) found.push(best);
    return found;
  };

  Index.prototype.shard = function (n) {
    if (!this.shardCache.has(n)) {
      var self = this;
      var pending = fetchJson(this.base + "/search/terms/" + hexName(this.shards[n]) + ".json").catch(function (error) {
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

  // A result record with its whole body in `text`: a record holds the first 8 KB, and
  // search/text/ID.json the rest, fetched only to look for a phrase there.
  Index.prototype.wholeDoc = function (id) {
    var self = this;
    return this.doc(id).then(function (doc) {
      if (!doc.more) return doc;
      if (!self.restCache.has(id)) {
        self.restCache.set(id, fetchJson(self.base + "/search/text/" + id + ".json").then(function (rest) {
          doc.text += rest;
          doc.more = false;
          return doc;
        }));
      }
      return self.restCache.get(id);
    });
  };

  // The words of the archive that start with `first` and how many documents have each.
  Index.prototype.vocabulary = function (first) {
    if (!this.vocabCache.has(first)) {
      this.vocabCache.set(first, fetchJson(this.base + "/search/vocab/" + hexName(first) + ".json").catch(function () { return []; }));
    }
    return this.vocabCache.get(first);
  };

  // Where the forms of a stem can be: they start with the stem less its last letter
  // (`happi` is the stem of `happy`), and a prefix word's longer words start with it.
  function lookupPrefix(word) {
    var p = word.stem.length > 1 ? word.stem.slice(0, word.stem.length - 1) : word.stem;
    return word.term.startsWith(p) ? p : word.term;
  }

  // The documents a query word matches, in typed arrays indexed by document id (a Map
  // of thousands of entries was most of a query's time): the fields, the body count step,
  // and how it matched (0 for not at all), with the ids in the order first seen.
  function Matches(count) {
    this.fields = new Uint8Array(count);
    this.count = new Uint8Array(count);
    this.kind = new Float32Array(count);
    this.ids = [];
    this.size = 0;
  }

  Matches.prototype.add = function (id, fields, count, kind) {
    if (this.kind[id] === 0) {
      this.ids.push(id);
      this.size++;
    }
    this.fields[id] |= fields;
    if (count > this.count[id]) this.count[id] = count;
    if (kind > this.kind[id]) this.kind[id] = kind;
  };

  Matches.prototype.has = function (id) {
    return this.kind[id] > 0;
  };

  // The score of the word in document id, before its idf (see docs/search.md).
  Matches.prototype.score = function (id) {
    var score = 0;
    var fields = this.fields[id];
    for (var f = 0; f < FIELDS.length; f++) {
      if (fields & FIELDS[f][0]) score += FIELDS[f][1] * (FIELDS[f][0] === BODY ? BODY_COUNT_WEIGHT[this.count[id]] : 1);
    }
    return score * this.kind[id];
  };

  // For one query word, every document that has it, and how (the best of exact, stem and
  // prefix); with `exact`, only the word as typed.
  Index.prototype.matchWord = function (word, exact) {
    var self = this;
    var shards = this.shardsFor(lookupPrefix(word), JOINED.test(word.term)).map(function (n) { return self.shard(n); });
    return Promise.all(shards).then(function (loaded) {
      var docs = new Matches(self.count);
      loaded.forEach(function (shard) {
        for (var term in shard) {
          var entry = shard[term];
          var first = typeof entry[0] === "string" ? 1 : 0;
          var termStem = first ? entry[0] : term;
          var kind = term === word.term ? EXACT
            : exact ? 0
            : termStem === word.stem ? STEM
            : word.prefix && term.startsWith(word.term) ? PREFIX : 0;
          if (kind === 0) continue;
          var id = 0;
          for (var i = first; i < entry.length; i++) {
            var p = entry[i];
            id += Math.floor(p / 128);
            docs.add(id, p & 31, (p >> 5) & 3, kind);
          }
        }
      });
      return docs;
    });
  };

  // The word of the archive nearest to one found nowhere: the fewest edits, then the most
  // documents. Null when none is near enough.
  Index.prototype.correct = function (word) {
    var limit = correctionLimit(word.term);
    if (limit === 0 || !LETTERS.test(word.term)) return Promise.resolve(null);
    return this.vocabulary(word.term[0]).then(function (vocab) {
      var best = null;
      for (var i = 0; i < vocab.length; i++) {
        var d = distance(word.term, vocab[i][0], limit);
        if (d > limit) continue;
        if (!best || d < best.d || (d === best.d && vocab[i][1] > best.df)) best = { term: vocab[i][0], d: d, df: vocab[i][1] };
      }
      return best && best.term;
    });
  };

  function idf(count, df) {
    return Math.log(1 + (count - df + 0.5) / (df + 0.5));
  }

  // A query's results, best first, with what the page must tell about them: the words it
  // corrected, the words no result has, and whether a phrase could not be found.
  Index.prototype.search = function (groups, exact) {
    var self = this;
    var result = { ids: [], corrected: [], missing: [], partial: false, phraseMissed: false, phraseChecked: null };
    var included = groups.filter(function (g) { return !g.exclude; });
    var excluded = groups.filter(function (g) { return g.exclude; });
    if (included.length === 0) {
      for (var id = this.count - 1; id >= 0; id--) result.ids.push(id);
      return this.exclude(result, excluded);
    }
    var words = [];
    included.forEach(function (g) { g.words.forEach(function (w) { words.push({ word: w, group: g }); }); });
    var wholes = included.filter(function (g) { return g.whole; }).map(function (g) { return queryWord(g.whole); });
    return Promise.all(words.map(function (w) { return self.matchWord(w.word, exact); })).then(function (matches) {
      // Words found nowhere are corrected, or left out.
      return Promise.all(matches.map(function (docs, k) {
        if (docs.size > 0 || exact || words[k].group.phrase) return docs;
        return self.correct(words[k].word).then(function (term) {
          if (!term) return docs;
          return self.matchWord(queryWord(term), true).then(function (fixed) {
            fixed.ids.forEach(function (id) { fixed.kind[id] = CORRECTED; });
            result.corrected.push([words[k].word.term, term]);
            words[k].word = queryWord(term);
            return fixed;
          });
        });
      }));
    }).then(function (matches) {
      return Promise.all(wholes.map(function (w) { return self.matchWord(w, true); })).then(function (bonus) {
        return self.rank(words, matches, bonus, result);
      });
    }).then(function (ranked) {
      return self.phrases(ranked, included, result);
    }).then(function (ranked) {
      result.ids = ranked;
      return self.exclude(result, excluded);
    });
  };

  // Every document with at least one word, scored; those with every word found anywhere
  // come first, unless none has them all.
  Index.prototype.rank = function (words, matches, bonus, result) {
    var count = this.count;
    var live = [];
    matches.forEach(function (docs, k) {
      if (docs.size === 0) result.missing.push(words[k].word.term);
      else live.push(k);
    });
    var weights = matches.map(function (docs) { return idf(count, docs.size); });
    var total = live.reduce(function (sum, k) { return sum + weights[k]; }, 0);
    var score = new Float64Array(count);
    var covered = new Float64Array(count);
    var matched = new Uint8Array(count);
    var touched = new Int32Array(count);
    var reached = 0;
    live.forEach(function (k) {
      var docs = matches[k];
      for (var n = 0; n < docs.ids.length; n++) {
        var id = docs.ids[n];
        if (matched[id] === 0) touched[reached++] = id;
        score[id] += weights[k] * docs.score(id);
        covered[id] += weights[k];
        matched[id]++;
      }
    });
    bonus.forEach(function (docs) {
      var weight = idf(count, docs.size) / 2;
      docs.ids.forEach(function (id) {
        if (matched[id] > 0) score[id] += weight * docs.score(id);
      });
    });
    // The final scores, and the ids with every word apart from the others, in typed arrays:
    // sorting pairs in arrays took most of a query's time at 100,000 documents.
    var all = new Int32Array(reached);
    var some = new Int32Array(reached);
    var alls = 0;
    var somes = 0;
    for (var t = 0; t < reached; t++) {
      var id = touched[t];
      var share = covered[id] / total;
      score[id] = score[id] * share * share + RECENCY * id / count;
      if (matched[id] === live.length) all[alls++] = id; else some[somes++] = id;
    }
    var chosen = all.subarray(0, alls);
    if (alls === 0 && live.length > 1) {
      chosen = some.subarray(0, somes);
      result.partial = true;
    }
    chosen.sort(function (a, b) { return score[b] - score[a] || b - a; });
    // Each word no result has is left out: the fallback names the top result's missing ones.
    if (result.partial && chosen.length > 0) {
      var top = chosen[0];
      live.forEach(function (k) {
        if (!matches[k].has(top)) result.missing.push(words[k].word.term);
      });
    }
    return Array.from(chosen);
  };

  // Keeps the candidates whose text has every phrase, checking the best first, a page of
  // records at a time, until a page is found or PHRASE_CANDIDATES were read: a phrase costs
  // result records, not an index of word positions. When none has it, keeps them all and
  // says so.
  Index.prototype.phrases = function (ids, groups, result) {
    var phrases = groups.filter(function (g) { return g.phrase; }).map(function (g) {
      return g.words.map(function (w) { return w.stem; });
    });
    if (phrases.length === 0 || ids.length === 0) return ids;
    var self = this;
    var kept = [];
    var checked = 0;
    function next() {
      if (kept.length >= PAGE_SIZE || checked >= Math.min(ids.length, PHRASE_CANDIDATES)) {
        if (kept.length === 0) {
          result.phraseMissed = true;
          return ids;
        }
        if (checked < ids.length) result.phraseChecked = [checked, ids.length];
        return kept;
      }
      var batch = ids.slice(checked, checked + PAGE_SIZE);
      checked += batch.length;
      return Promise.all(batch.map(function (id) { return self.hasPhrases(id, phrases); })).then(function (has) {
        batch.forEach(function (id, k) { if (has[k]) kept.push(id); });
        return next();
      });
    }
    return next();
  };

  // Whether document id has every phrase (lists of stems): in its record's text first, then,
  // where its body goes on, in the whole body.
  Index.prototype.hasPhrases = function (id, phrases) {
    var self = this;
    function found(doc) {
      var stems = terms(doc.title + "\n" + doc.summary + "\n" + doc.text).map(stem);
      return phrases.every(function (p) { return containsRun(stems, p); });
    }
    return this.doc(id).then(function (doc) {
      var has = found(doc);
      if (has || !doc.more) return has;
      return self.wholeDoc(id).then(found);
    });
  };

  function containsRun(list, run) {
    outer: for (var i = 0; i + run.length <= list.length; i++) {
      for (var j = 0; j < run.length; j++) if (list[i + j] !== run[j]) continue outer;
      return true;
    }
    return false;
  }

  Index.prototype.exclude = function (result, excluded) {
    if (excluded.length === 0) return Promise.resolve(result);
    var self = this;
    var words = [];
    excluded.forEach(function (g) { g.words.forEach(function (w) { words.push(w); }); });
    return Promise.all(words.map(function (w) { return self.matchWord({ term: w.term, stem: w.stem, prefix: false }, false); })).then(function (matches) {
      result.ids = result.ids.filter(function (id) {
        return !matches.some(function (docs) { return docs.has(id); });
      });
      return result;
    });
  };

  // A document's value in a facet of one value a document (-1 for none), or its list of
  // values in a facet of several. The build writes the first as a string with a character
  // a document, code 48 + value, which parses many times faster than a list of numbers.
  function valueOf(facet, id) {
    return typeof facet.docs === "string" ? facet.docs.charCodeAt(id) - 48 : facet.docs[id];
  }

  // A facet whose documents' values have not arrived yet matches and counts nothing; the
  // page waits for them before filtering on it.
  function facetHas(facet, id, selected) {
    var v = valueOf(facet, id);
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
    // Plain loops: this runs for every result, a hundred thousand times at most.
    for (var r = 0; r < ids.length; r++) {
      var id = ids[r];
      var failed = 0;
      var failedFacet = null;
      for (var i = 0; i < active.length && failed < 2; i++) {
        if (!facetHas(active[i], id, filters[active[i].name])) {
          failed++;
          failedFacet = active[i];
        }
      }
      if (failed === 0) results.push(id);
      if (failed >= 2) continue;
      for (var n = 0; n < facets.length; n++) {
        var f = facets[n];
        if ((failed === 1 && f !== failedFacet) || f.docs === null) continue;
        var v = valueOf(f, id);
        if (Array.isArray(v)) {
          for (var x = 0; x < v.length; x++) counts[n][v[x]]++;
        } else if (v >= 0) {
          counts[n][v]++;
        }
      }
    }
    return { results: results, counts: counts };
  };

  // --- Highlighting: the words of a text that match the query, as marked segments.

  var WORD = /[\p{Alphabetic}\p{N}\p{M}]+/gu;

  function wordHits(words) {
    return function (term) {
      var s = stem(term);
      return words.some(function (w) {
        return term === w.term || s === w.stem || (w.prefix && term.startsWith(w.term));
      });
    };
  }

  function segments(text, words) {
    var out = [];
    var last = 0;
    var hits = wordHits(words);
    if (words.length > 0) {
      for (var match of text.matchAll(WORD)) {
        if (!terms(match[0]).some(hits)) continue;
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
    var hits = wordHits(words);
    for (var match of text.matchAll(WORD)) {
      if (terms(match[0]).some(hits)) return match.index;
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
    return { q: params.get("q") || "", exact: params.get("exact") === "1", filters: filters };
  }

  function stateUrl(index, state) {
    var params = new URLSearchParams();
    if (state.q.trim() !== "") params.set("q", state.q);
    if (state.exact && state.q.trim() !== "") params.set("exact", "1");
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
    this.notice = root.querySelector("#search-notice");
    this.list = root.querySelector("#search-results");
    this.more = root.querySelector("#search-more");
    this.clear = root.querySelector("#search-clear");
    this.state = readState(index);
    this.results = [];
    this.shown = 0;
    this.active = -1;
    this.generation = 0;
    this.highlight = [];
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
        self.state.exact = false;
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
        if (self.shown === 0 || event.target !== self.input) return;
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        self.select(Math.max(-1, Math.min(self.shown - 1, self.active + step)));
      } else if (event.key === "Enter" && event.target === self.input && self.active >= 0) {
        event.preventDefault();
        self.open(self.active);
      } else if (event.key === "Escape" && event.target === self.input && self.active >= 0) {
        self.select(-1);
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

  SearchPage.prototype.run = function () {
    var self = this;
    var generation = ++this.generation;
    var groups = parseQuery(this.state.q);
    var started = performance.now();
    var index = this.index;
    // A filter on a facet kept apart from index.json (from a pasted URL) needs its values
    // before any result; otherwise they are fetched once the first results are on screen.
    var filtered = index.facets.some(function (f) { return f.docs === null && self.state.filters[f.name].size > 0; });
    var ready = filtered ? index.columns() : Promise.resolve();
    return Promise.all([index.search(groups, this.state.exact), ready]).then(function (done) {
      var found = done[0];
      if (generation !== self.generation) return;
      var refined = index.refine(found.ids, self.state.filters);
      var drawn = {};
      index.facets.forEach(function (f) { if (f.docs !== null) drawn[f.name] = true; });
      self.results = refined.results;
      self.highlight = [];
      groups.forEach(function (g) {
        if (!g.exclude) g.words.forEach(function (w) { self.highlight.push(w); });
      });
      found.corrected.forEach(function (c) { self.highlight.push(queryWord(c[1])); });
      self.renderFacets(refined.counts);
      self.renderStatus(groups);
      self.renderNotice(found);
      self.list.textContent = "";
      self.shown = 0;
      self.select(-1);
      var page = self.showMore();
      // From the keystroke's query to facets and results on screen (benches/search_query.py).
      performance.measure("hindsight-search", { start: started });
      if (!index.complete()) {
        page.then(function () { return index.columns(); }).then(function () {
          if (generation !== self.generation) return;
          // Only the new facets are drawn: the others' counts are the same, and a checkbox
          // the reader is about to press stays where it is.
          var deferred = index.facets.filter(function (f) { return !(f.name in drawn); });
          self.renderFacets(index.refine(found.ids, self.state.filters).counts, deferred);
          self.list.querySelectorAll(".result").forEach(function (item) { self.addChips(item); });
        }).catch(function (error) {
          if (generation === self.generation) self.status.textContent += " (Filters could not be loaded: " + error.message + ".)";
        });
      }
    }).catch(function (error) {
      self.status.textContent = "Search failed: " + error.message;
    });
  };

  SearchPage.prototype.renderStatus = function (groups) {
    var n = this.results.length;
    var filtered = this.index.facets.some(function (f) { return this.state.filters[f.name].size > 0; }, this);
    this.clear.hidden = !filtered;
    var what = n === 1 ? "1 document" : n + " documents";
    var q = this.state.q.trim();
    if (groups.length > 0) {
      this.status.textContent = n === 0
        ? "Nothing matches \u201c" + q + "\u201d" + (filtered ? " with these filters." : ".")
        : (n === 1 ? what + " matches" : what + " match") + " \u201c" + q + "\u201d, best first.";
    } else {
      this.status.textContent = filtered ? what + ", newest first." : "All " + what + ", newest first. Type to search, or pick a filter.";
    }
    this.input.setAttribute("aria-expanded", n > 0 && groups.length > 0 ? "true" : "false");
  };

  // What the results are not: corrected words (with the search as typed on offer), words
  // left out, a phrase not found.
  SearchPage.prototype.renderNotice = function (found) {
    var self = this;
    var node = this.notice;
    node.textContent = "";
    if (found.corrected.length > 0) {
      var p = element("p", "search-correction");
      p.appendChild(document.createTextNode("Showing results for "));
      p.appendChild(element("strong", "", found.corrected.map(function (c) { return c[1]; }).join(" ")));
      p.appendChild(document.createTextNode(" (no match for " + found.corrected.map(function (c) { return c[0]; }).join(" ") + "). "));
      var exact = element("a", "search-exact", "Search for exactly " + this.state.q.trim());
      exact.href = stateUrl(this.index, { q: this.state.q, exact: true, filters: this.state.filters });
      exact.addEventListener("click", function (event) {
        event.preventDefault();
        self.state.exact = true;
        history.pushState(null, "", stateUrl(self.index, self.state));
        self.run();
      });
      p.appendChild(exact);
      node.appendChild(p);
    }
    if (found.phraseChecked) {
      node.appendChild(element("p", "search-fallback-notice", "The phrase was looked for in the best " +
        found.phraseChecked[0] + " of the " + found.phraseChecked[1] + " documents with its words."));
    }
    if (found.phraseMissed) {
      node.appendChild(element("p", "search-fallback-notice", "No document has the exact phrase; showing documents with its words."));
    }
    if (found.missing.length > 0) {
      var text = found.partial
        ? "No document has every word. Showing those with most of them; left out: "
        : "No document has ";
      var left = element("p", "search-fallback-notice", text);
      found.missing.forEach(function (w, i) {
        if (i > 0) left.appendChild(document.createTextNode(", "));
        left.appendChild(element("s", "", w));
      });
      left.appendChild(document.createTextNode(found.partial ? "." : ", so it was left out."));
      node.appendChild(left);
    }
    node.hidden = node.childNodes.length === 0;
  };

  // Draws the facets with their counts; with `only` (a list of facets), draws just those,
  // in their places among the facets already drawn.
  SearchPage.prototype.renderFacets = function (counts, only) {
    var self = this;
    var facets = this.index.facets;
    this.counts = counts;
    var focused = document.activeElement;
    var refocus = focused && focused.type === "checkbox" && this.facetsNode.contains(focused)
      ? [focused.name, focused.value] : null;
    if (!only) this.facetsNode.textContent = "";
    facets.forEach(function (f, n) {
      if (only && only.indexOf(f) < 0) return;
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
          self.renderFacets(self.counts);
          var first = self.facetsNode.querySelector("[data-facet='" + f.name + "'] input:not(:checked)");
          if (first) first.focus();
        });
        fieldset.appendChild(more);
      }
      var later = null;
      for (var m = n + 1; only && m < facets.length && !later; m++) {
        later = self.facetsNode.querySelector("[data-facet='" + facets[m].name + "']");
      }
      self.facetsNode.insertBefore(fieldset, later);
    });
  };

  SearchPage.prototype.showMore = function () {
    var end = Math.min(this.results.length, this.shown + PAGE_SIZE);
    var generation = this.generation;
    var filled = [];
    for (var k = this.shown; k < end; k++) {
      var id = this.results[k];
      // The option is the result's link itself, so that no control sits inside another
      // and its name is the title it shows; the rest of the row is beside it.
      var item = element("li", "doc-row result");
      item.setAttribute("role", "none");
      item.dataset.doc = String(id);
      var head = element("div", "doc-row-head");
      var link = element("a", "");
      link.id = "result-" + k;
      link.setAttribute("role", "option");
      link.setAttribute("aria-selected", "false");
      // A name for the moment before its record arrives, so that no option goes unnamed.
      link.setAttribute("aria-label", "Loading result " + (k + 1));
      link.tabIndex = -1;
      head.appendChild(link);
      item.appendChild(head);
      this.list.appendChild(item);
      filled.push(this.fill(item, link, id, this.highlight, generation));
    }
    this.shown = end;
    this.more.hidden = this.shown >= this.results.length;
    // Settles when these rows are filled (or could not be).
    return Promise.all(filled);
  };

  SearchPage.prototype.facetValues = function (name, id) {
    var f = this.index.facets.find(function (facet) { return facet.name === name; });
    if (!f || f.docs === null) return [];
    var v = valueOf(f, id);
    var list = Array.isArray(v) ? v : (v >= 0 ? [v] : []);
    return list.map(function (i) { return { index: i, label: f.values[i][1] }; });
  };

  // The services of a filled row, once the facets kept apart from index.json are here.
  SearchPage.prototype.addChips = function (item) {
    var meta = item.querySelector(".doc-row-meta");
    var services = this.index.facets.find(function (facet) { return facet.name === "service"; });
    if (!meta || item.dataset.chips || !services || services.docs === null) return;
    item.dataset.chips = "1";
    this.facetValues("service", Number(item.dataset.doc)).forEach(function (s) {
      meta.appendChild(element("span", "chip", s.label));
    });
  };

  SearchPage.prototype.fill = function (item, link, id, words, generation) {
    var self = this;
    return this.index.doc(id).then(function (doc) {
      if (generation !== self.generation) return;
      var head = link.parentNode;
      self.facetValues("severity", id).forEach(function (s) {
        head.insertBefore(element("span", "sev sev-" + Math.min(s.index + 1, 5), s.label), link);
      });
      link.href = doc.url;
      link.removeAttribute("aria-label");
      appendMarked(link, doc.title, words);
      // The title's class marks a row as loaded.
      link.className = "doc-title";

      var meta = element("div", "doc-row-meta");
      var time = element("time", "", doc.date);
      time.dateTime = doc.date;
      meta.appendChild(time);
      self.facetValues("kind", id).forEach(function (k) {
        if (k.index === 1) meta.appendChild(element("span", "badge", k.label));
      });
      item.appendChild(meta);
      self.addChips(item);

      var text = excerpt(doc, words);
      if (text) {
        var p = element("p", "doc-summary excerpt");
        appendMarked(p, text, words);
        item.appendChild(p);
      }
    }).catch(function () {
      link.removeAttribute("aria-label");
      link.textContent = "This result could not be loaded.";
    });
  };

  // Makes result k the active option of the combobox (-1 for none): a screen reader
  // announces it, and Enter opens it.
  SearchPage.prototype.select = function (k) {
    var previous = this.list.querySelector(".result.active");
    if (previous) {
      previous.classList.remove("active");
      previous.querySelector("[role=option]").setAttribute("aria-selected", "false");
    }
    this.active = k;
    if (k < 0) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    var item = this.list.children[k];
    var option = item.querySelector("[role=option]");
    item.classList.add("active");
    option.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", option.id);
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

  // For tests (tests/search_browser.rs): the functions that must agree with the build.
  window.hindsightSearch = { normalize: normalize, terms: terms, stem: stem, parseQuery: parseQuery, queryText: queryText };

  var header = document.querySelector(".site-search");
  if (header) header.hidden = false;

  var root = document.getElementById("search");
  if (root) {
    root.hidden = false;
    // `autofocus` does nothing in a container that was hidden when the page loaded.
    var box = root.querySelector("#search-q");
    if (box && (document.activeElement === document.body || document.activeElement === null)) box.focus();
    var status = root.querySelector("#search-status");
    status.textContent = "Loading the index…";
    Index.load(root.dataset.searchBase || "").then(function (index) {
      new SearchPage(root, index);
    }).catch(function (error) {
      status.textContent = "The search index could not be loaded (" + error.message + ").";
    });
  }
})();
