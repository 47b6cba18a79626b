/* The query UI at /: YASGUI (vendored) on this server's /sparql, with the competency queries as examples,
 * pre-declared prefixes, a permalink and result downloads in every format.
 *
 * Nothing here, and nothing YASGUI is allowed to do, leaves this server: the endpoint is pinned to /sparql,
 * the LOV autocompleters are removed, and the prefix completer reads /prefixes.json instead of prefix.cc.
 * The page's Content-Security-Policy (connect-src 'self') stops anything that would slip through.
 */
(function () {
  "use strict";

  var root = document.getElementById("ekg-ui");
  var host = document.getElementById("yasgui");
  if (!root || !host || !window.Yasgui) {
    return;
  }
  var config = JSON.parse(root.getAttribute("data-config"));
  var prefixes = config.prefixes;
  var endpoint = new URL("/sparql", window.location.href).href;
  var Yasgui = window.Yasgui;
  var Yasqe = Yasgui.Yasqe;

  // --- Prefixes -----------------------------------------------------------------------------------------

  // IRIs, strings and comments (skipped), or the prefix of a prefixed name (captured).
  var TOKENS = /<[^<>"{}|^`\\\s]*>|"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|#[^\n]*|(^|[^\w:?$.\-])([A-Za-z][\w\-]*(?:\.[\w\-]+)*)?:/g;
  var DECLARED = /\bPREFIX\s+([A-Za-z][\w\-]*(?:\.[\w\-]+)*)?:/gi;

  /* The query with a PREFIX line added for every pre-declared prefix it uses but does not declare. */
  function withPrefixes(query) {
    var declared = {};
    var match;
    DECLARED.lastIndex = 0;
    while ((match = DECLARED.exec(query)) !== null) {
      declared[match[1] || ""] = true;
    }
    var missing = [];
    TOKENS.lastIndex = 0;
    while ((match = TOKENS.exec(query)) !== null) {
      var name = match[2];
      if (match[1] !== undefined && name !== undefined && !declared[name] &&
          Object.prototype.hasOwnProperty.call(prefixes, name)) {
        declared[name] = true;
        missing.push("PREFIX " + name + ": <" + prefixes[name] + ">\n");
      }
    }
    return missing.join("") + query;
  }

  // --- YASGUI, kept on this server -----------------------------------------------------------------------

  // The LOV completers (classes, properties) call lov.linkeddata.es: remove them, so nothing can enable them.
  delete Yasqe.Autocompleters["class"];
  delete Yasqe.Autocompleters.property;
  // lodash's merge joins arrays index by index, so the defaults must be changed in place, not overridden.
  Yasqe.defaults.autocompleters.splice(0, Yasqe.defaults.autocompleters.length, "variables", "prefixes");
  Yasqe.defaults.prefixCcApi = "/prefixes.json";
  Yasqe.defaults.createShortLink = undefined;
  Yasqe.defaults.requestConfig.endpoint = endpoint;

  // --- The "Graph" view of a result (graph-view.js): CONSTRUCT, DESCRIBE, or SELECT ?source ?target -------

  var namespaces = Object.keys(prefixes).map(function (name) {
    return [name, prefixes[name]];
  }).sort(function (a, b) {
    return b[1].length - a[1].length;
  });
  var LOCAL_NAME = /^[A-Za-z0-9_\-.]*$/;

  /* A prefixed name for an IRI under a pre-declared namespace, or the IRI itself. */
  function shortIri(iri) {
    for (var i = 0; i < namespaces.length; i++) {
      var ns = namespaces[i][1];
      if (iri.indexOf(ns) === 0 && LOCAL_NAME.test(iri.substring(ns.length))) {
        return namespaces[i][0] + ":" + iri.substring(ns.length);
      }
    }
    return iri;
  }

  /* What colours a node: the kind of resource (person, event, …) from its IRI, or the ontology. */
  function iriGroup(iri) {
    if (iri.indexOf(config.idBase) === 0) {
      return iri.substring(config.idBase.length).split("/")[0] || null;
    }
    return iri.indexOf(config.ontologyNs) === 0 ? "ontology" : null;
  }

  if (window.EkgGraphView) {
    Yasgui.Yasr.registerPlugin("graph", window.EkgGraphView.plugin({
      cytoscapeJs: config.cytoscapeJs,
      localHref: localHref,
      shortIri: shortIri,
      group: iriGroup
    }));
  }

  var addedLines = 0;

  // A syntax error's lines, renumbered as the editor shows them (see adjustQueryBeforeRequest).
  function renumberError(pre) {
    if (pre.dataset.ekgRenumbered || addedLines <= 0) {
      return;
    }
    pre.dataset.ekgRenumbered = "1";
    pre.textContent = pre.textContent.replace(/\bline (\d+)/g, function (_, n) {
      return "line " + Math.max(1, Number(n) - addedLines);
    });
  }

  new MutationObserver(function () {
    document.querySelectorAll(".yasr .errorResult pre").forEach(renumberError);
  }).observe(host, { childList: true, subtree: true });

  var yasgui = new Yasgui(host, {
    persistenceId: "eurasia-kg",
    copyEndpointOnNewTab: false,
    corsProxy: undefined,
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: endpoint }];
      }
    },
    // YASGUI's own share links (#query=…&endpoint=…) and /?query=… permalinks: keep the tab on this server.
    populateFromUrl: function (tabConfig) {
      tabConfig.requestConfig.endpoint = endpoint;
      return tabConfig;
    },
    requestConfig: {
      endpoint: endpoint,
      method: "POST",
      adjustQueryBeforeRequest: function (yasqe) {
        var sent = withPrefixes(yasqe.getValue());
        // The server's syntax errors count lines in what is sent: remember how many PREFIX lines
        // were added above the editor's text, to give the lines as the editor numbers them.
        addedLines = sent.split("\n").length - yasqe.getValue().split("\n").length;
        return sent;
      }
    },
    yasqe: {
      // The server explains syntax errors (line, column and a hint); the editor's own check only
      // lists the tokens its grammar expected.
      syntaxErrorCheck: false,
      value: config.defaultQuery,
      editorHeight: "22em",
      autocompleters: ["variables", "prefixes"],
      prefixCcApi: "/prefixes.json"
    },
    yasr: {
      prefixes: prefixes
    }
  });

  function tabs() {
    return Object.keys(yasgui._tabs).map(function (id) {
      return yasgui._tabs[id];
    });
  }

  // Tabs restored from the browser's storage keep the endpoint they were saved with: pin them all here.
  function pinEndpoints() {
    tabs().forEach(function (tab) {
      if (tab.getEndpoint() !== endpoint) {
        tab.setEndpoint(endpoint);
      }
    });
  }
  pinEndpoints();
  yasgui.on("tabAdd", function () {
    window.setTimeout(pinEndpoints, 0);
  });
  yasgui.on("queryBefore", pinEndpoints);

  // --- Downloads and permalink ---------------------------------------------------------------------------

  var downloads = document.getElementById("downloads");
  var permalink = document.getElementById("permalink");
  var htmlResults = document.getElementById("html-results");
  var copyButton = document.getElementById("copy-permalink");

  function currentQuery() {
    var tab = yasgui.getTab();
    var yasqe = tab && tab.getYasqe();
    return yasqe ? yasqe.getValue() : (tab ? tab.getQuery() : config.defaultQuery);
  }

  function currentKind() {
    var tab = yasgui.getTab();
    var yasqe = tab && tab.getYasqe();
    var type = yasqe && yasqe.getQueryType ? String(yasqe.getQueryType() || "") : "";
    return type === "CONSTRUCT" || type === "DESCRIBE" ? "graph" : "results";
  }

  function sparqlUrl(query, format) {
    var params = new URLSearchParams();
    params.set("query", query);
    if (format) {
      params.set("format", format);
    }
    return "/sparql?" + params.toString();
  }

  function refreshLinks() {
    var raw = currentQuery();
    var query = withPrefixes(raw);
    var formats = config.formats[currentKind()];
    var links = downloads.querySelectorAll("a[data-format]");
    var same = links.length === formats.length && formats.every(function (f, i) {
      return links[i].getAttribute("data-format") === f.key;
    });
    if (!same) {
      // The kind of result changed (SELECT or ASK, against CONSTRUCT or DESCRIBE): offer its formats.
      downloads.replaceChildren();
      formats.forEach(function (f, i) {
        if (i > 0) {
          downloads.appendChild(document.createTextNode(" · "));
        }
        var a = document.createElement("a");
        a.setAttribute("data-format", f.key);
        a.setAttribute("download", "eurasia-kg-result" + f.suffix);
        a.textContent = f.label;
        downloads.appendChild(a);
      });
      links = downloads.querySelectorAll("a[data-format]");
    }
    // Links are updated in place, so that a click already under way still lands on its link.
    formats.forEach(function (f, i) {
      links[i].href = sparqlUrl(query, f.key);
    });
    permalink.href = "/?" + new URLSearchParams({ query: raw }).toString();
    htmlResults.href = sparqlUrl(query);
  }

  var pending = null;
  function refreshSoon() {
    if (pending !== null) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(function () {
      pending = null;
      watchEditor();
      refreshLinks();
    }, 150);
  }

  // Each tab's editor exists once the tab has been shown; follow its changes.
  function watchEditor() {
    var tab = yasgui.getTab();
    var yasqe = tab && tab.getYasqe();
    if (yasqe && !yasqe.ekgWatched) {
      yasqe.ekgWatched = true;
      yasqe.on("change", refreshSoon);
    }
  }

  ["tabSelect", "tabChange", "tabAdd", "tabClose", "query"].forEach(function (event) {
    yasgui.on(event, refreshSoon);
  });
  // The links are right even if a change event was missed: refresh them before they are used.
  document.getElementById("result-tools").addEventListener("pointerdown", refreshLinks, true);
  document.getElementById("result-tools").addEventListener("focusin", refreshLinks, true);
  watchEditor();
  refreshLinks();

  if (navigator.clipboard && window.isSecureContext) {
    copyButton.hidden = false;
    copyButton.addEventListener("click", function () {
      refreshLinks();
      navigator.clipboard.writeText(permalink.href).then(function () {
        copyButton.textContent = "Copied";
        window.setTimeout(function () {
          copyButton.textContent = "Copy";
        }, 1500);
      });
    });
  }

  // --- Examples ------------------------------------------------------------------------------------------

  function openExample(link) {
    var query = new URL(link.href).searchParams.get("query");
    var tab = yasgui.getTab();
    if (!tab || query === null) {
      return false;
    }
    tab.setQuery(query);
    tab.setName(link.textContent.trim());
    document.querySelectorAll(".examples li.active").forEach(function (li) {
      li.classList.remove("active");
    });
    link.parentElement.classList.add("active");
    refreshLinks();
    host.scrollIntoView({ block: "start", behavior: "smooth" });
    var yasqe = tab.getYasqe();
    if (yasqe) {
      yasqe.focus();
    }
    return true;
  }

  document.getElementById("examples").addEventListener("click", function (event) {
    var link = event.target.closest("a.example");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return; // a modifier click opens the permalink in a new window, as links do
    }
    if (openExample(link)) {
      event.preventDefault();
    }
  });

  var filter = document.getElementById("example-filter");
  filter.addEventListener("input", function () {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    document.querySelectorAll(".examples li").forEach(function (li) {
      var text = li.textContent.toLowerCase();
      li.hidden = !words.every(function (w) {
        return text.indexOf(w) >= 0;
      });
    });
  });

  // --- Results: resource IRIs open this server's pages --------------------------------------------------

  function localHref(iri) {
    if (iri.indexOf(config.idBase) === 0) {
      return "/id/" + iri.substring(config.idBase.length);
    }
    if (iri.indexOf(config.ontologyNs) === 0) {
      return "/ontology";
    }
    return null;
  }

  function retarget(event) {
    var link = event.target.closest && event.target.closest("a.iri");
    if (!link) {
      return;
    }
    var local = localHref(link.getAttribute("href") || "");
    if (local) {
      link.setAttribute("href", local);
      link.removeAttribute("target");
    }
  }
  host.addEventListener("pointerdown", retarget, true);
  host.addEventListener("focusin", retarget, true);

  window.ekgQueryUi = { yasgui: yasgui, withPrefixes: withPrefixes, refreshLinks: refreshLinks, shortIri: shortIri };
})();
