/* The who-met-whom network: the page at /network and the neighbourhood on a person's page.
 *
 * Data comes from this server's JSON API (/network/graph.json, /network/neighbourhood.json,
 * /network/edge.json, /network/timeline.json). Small graphs are drawn with the vendored cytoscape.js;
 * above the server's threshold (the answer says "renderer": "sigma", with a layout) with sigma.js and
 * graphology (WebGL). A time slider replays the network window by window, node size following the
 * chosen measure in each window; a search box focuses on a person's neighbourhood. Text from the data
 * is only ever set with textContent or attributes, never as HTML.
 */
(function () {
  "use strict";

  // The colours of matplotlib's tab10, in the same order as `eurasia-kg network plot` (sorted countries).
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"];
  var NO_COUNTRY = "#bbbbbb";
  var KIND_STYLE = {"met": "solid", "co-participated": "dashed", "visited-host": "dotted", "held-post": "dotted",
                    "consulted": "dashed"};
  var KINDS = ["met", "co-participated", "visited-host", "consulted", "held-post"];

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function localPath(iri, base) {
    return base && iri.indexOf(base) === 0 ? "/id/" + iri.slice(base.length) : null;
  }

  function countryColours(nodes) {
    var countries = [];
    nodes.forEach(function (n) { if (countries.indexOf(n.country) < 0) { countries.push(n.country); } });
    countries.sort();
    var colours = {};
    countries.forEach(function (c, i) { colours[c] = c ? PALETTE[i % PALETTE.length] : NO_COUNTRY; });
    return colours;
  }

  function elements(data, colours, sizes) {
    var values = data.nodes.map(function (n) { return n.value; });
    var low = Math.min.apply(null, values.concat([0]));
    var high = Math.max.apply(null, values.concat([0]));
    var small = sizes[0], large = sizes[1];
    var nodes = data.nodes.map(function (n) {
      var size = high > low ? small + (large - small) * (n.value - low) / (high - low) : (small + large) / 2;
      return {
        group: "nodes",
        data: {id: n.id, label: n.label, country: n.country, value: n.value, kind: n.kind,
               size: size, colour: colours[n.country] || NO_COUNTRY},
        classes: (n.unnamed ? "unnamed " : "") + (n.kind === "institution" ? "institution" :
                                                  n.kind === "actor" ? "actor" : "person")
      };
    });
    var edges = data.edges.map(function (e) {
      var kind = KINDS.filter(function (k) {
        return e.kinds.indexOf(k) >= 0;
      })[0] || "met";
      return {group: "edges",
              data: {id: e.id, source: e.source, target: e.target, weight: e.weight, kinds: e.kinds,
                     events: e.events, width: 1.5 + 1.5 * Math.min(e.weight, 6), line: KIND_STYLE[kind]}};
    });
    return nodes.concat(edges);
  }

  function style() {
    return [
      {selector: "node", style: {
        "width": "data(size)", "height": "data(size)", "background-color": "data(colour)",
        "label": "data(label)", "font-size": 12, "text-wrap": "wrap", "text-max-width": 130,
        "text-valign": "bottom", "text-margin-y": 3, "color": "#222", "border-width": 1, "border-color": "#444"}},
      {selector: "node.unnamed", style: {"border-style": "dashed", "border-width": 2, "font-style": "italic"}},
      {selector: "node.institution", style: {"shape": "round-rectangle", "background-opacity": 0.6}},
      {selector: "node.centre", style: {"border-width": 4, "border-color": "#c9a227"}},
      {selector: "node:active, node:selected", style: {"overlay-opacity": 0.15}},
      {selector: "edge", style: {
        "width": "data(width)", "line-color": "#7a8a99", "line-style": "data(line)", "curve-style": "bezier"}},
      {selector: "edge.picked", style: {"line-color": "#c9a227", "z-index": 10}},
      {selector: "node.actor", style: {"shape": "diamond"}},
      {selector: ".faded", style: {"opacity": 0.12}},
      {selector: ".off", style: {"display": "none"}}
    ];
  }

  function formatDates(event) {
    var text;
    if (event.start && event.end) {
      text = event.start === event.end ? event.start : event.start + " to " + event.end;
    } else {
      text = "no date in the graph";
    }
    if (event.wording) { text += " (the source: \u201c" + event.wording + "\u201d)"; }
    if (event.date_interpreted) { text += "; the date comes from an interpretation"; }
    if (event.code) { text += "; CAMEO " + event.code; }
    if (event.graphs && event.graphs.length) { text += "; from " + event.graphs.join(", "); }
    return text;
  }

  function showEdge(box, edge, cy, idBase) {
    var source = cy.getElementById(edge.data("source")).data("label");
    var target = cy.getElementById(edge.data("target")).data("label");
    showEvents(box, source, target, {kinds: edge.data("kinds"), weight: edge.data("weight"),
                                     events: edge.data("events")}, idBase);
  }

  function showEvents(box, source, target, link, idBase) {
    clear(box);
    box.appendChild(el("h3", source + " \u2014 " + target, {"class": "edge-title"}));
    box.appendChild(el("p", "Kinds: " + link.kinds.join(", ") + "; weight " + link.weight +
                       (link.sources && link.sources.length ? "; named graphs: " + link.sources.join(", ") : ""),
                       {"class": "hint"}));
    var list = el("ul", null, {"class": "edge-events"});
    link.events.forEach(function (event) {
      var item = el("li");
      var path = localPath(event.iri, idBase);
      var title = path ? el("a", event.label, {href: path}) : el("span", event.label);
      item.appendChild(el("strong")).appendChild(title);
      item.appendChild(el("p", formatDates(event), {"class": "dates"}));
      (event.quotes || []).forEach(function (quote) { item.appendChild(el("blockquote", quote)); });
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  // Fit the graph in view, without blowing a graph of two or three nodes up to giant size.
  function fit(cy, padding, most) {
    cy.fit(undefined, padding);
    if (cy.zoom() > most) {
      cy.zoom(most);
      cy.center();
    }
  }

  function bindEdges(cy, box, idBase, hint) {
    var pinned = null;
    function show(edge) {
      cy.edges().removeClass("picked");
      edge.addClass("picked");
      if (hint) { hint.hidden = true; }
      showEdge(box, edge, cy, idBase);
    }
    cy.on("mouseover", "edge", function (evt) { if (!pinned) { show(evt.target); } });
    cy.on("mouseout", "edge", function () { if (pinned) { show(pinned); } });
    cy.on("tap", "edge", function (evt) { pinned = evt.target; show(evt.target); });
    cy.on("tap", function (evt) { if (evt.target === cy) { pinned = null; } });
    cy.on("mouseover", "node", function () { cy.container().style.cursor = "pointer"; });
    cy.on("mouseout", "node", function () { cy.container().style.cursor = ""; });
  }

  function bindNodes(cy, idBase, centre) {
    cy.on("tap", "node", function (evt) {
      var path = localPath(evt.target.id(), idBase);
      if (path && evt.target.id() !== centre) { window.location.assign(path); }
    });
  }

  function fetchJson(url) {
    return fetch(url, {headers: {"Accept": "application/json"}}).then(function (response) {
      if (response.ok) { return response.json(); }
      return response.text().then(function (text) {
        throw new Error(text.trim() || ("HTTP " + response.status));
      });
    });
  }

  // --- The page at /network -------------------------------------------------------------

  function networkPage(container) {
    var form = document.getElementById("network-filters");
    var status = document.getElementById("network-status");
    var failure = document.getElementById("network-error");
    var legend = document.getElementById("network-legend");
    var details = document.getElementById("edge-events");
    var hint = document.getElementById("edge-hint");
    var table = document.querySelector("#edge-table tbody");
    var idBase = container.getAttribute("data-id-base");
    var api = container.getAttribute("data-api");
    var page = container.getAttribute("data-page");
    var edgeApi = container.getAttribute("data-edge-api");
    var timelineApi = container.getAttribute("data-timeline-api");
    var latest = 0;
    var current = null;
    var TABLE_ROWS = 500;

    var cy = window.cytoscape({container: container, style: style(), elements: [], minZoom: 0.2, maxZoom: 4});
    window.__cy = cy;
    bindEdges(cy, details, idBase, hint);
    bindNodes(cy, idBase, null);

    function params() {
      var query = new URLSearchParams();
      query.set("measure", form.elements.measure.value);
      var kinds = Array.prototype.filter.call(form.querySelectorAll("input[name=edges]"), function (box) {
        return box.checked;
      }).map(function (box) { return box.value; });
      query.set("edges", kinds.join(","));
      ["from", "to", "iranian-year", "sources"].forEach(function (name) {
        var value = form.elements[name].value.trim();
        if (value) { query.set(name, value); }
      });
      ["unnamed", "institutions", "interpretations"].forEach(function (name) {
        query.set(name, form.elements[name].checked ? "1" : "0");
      });
      return query.toString();
    }

    function drawLegend(colours, measure) {
      clear(legend);
      legend.appendChild(el("strong", "Country"));
      var list = el("ul");
      Object.keys(colours).forEach(function (country) {
        var item = el("li");
        var swatch = el("span", null, {"class": "swatch"});
        swatch.style.backgroundColor = colours[country];
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(country || "unknown"));
        list.appendChild(item);
      });
      legend.appendChild(list);
      legend.appendChild(el("p", "Node size: " + measure.replace("_", " ") + ". Dashed border: unnamed " +
                                 "post-holder. Links: solid met, dashed co-participated, dotted visited-host; " +
                                 "thicker links rest on more events.", {"class": "hint"}));
    }

    function drawTable(data) {
      clear(table);
      var labels = {};
      data.nodes.forEach(function (n) { labels[n.id] = n.label; });
      data.edges.slice(0, TABLE_ROWS).forEach(function (e) {
        var row = el("tr");
        row.appendChild(el("td", labels[e.source] || e.source));
        row.appendChild(el("td", labels[e.target] || e.target));
        row.appendChild(el("td", e.kinds.join(", ")));
        row.appendChild(el("td", e.events && e.events.length ? e.events.map(function (ev) { return ev.label; }).join("; ") :
                                 e.event_count + " events (pick the link for them)"));
        table.appendChild(row);
      });
    }

    function load() {
      var query = params();
      var ticket = ++latest;
      container.setAttribute("data-state", "loading");
      status.textContent = "Loading the network\u2026";
      ["gexf", "graphml", "cytoscape", "csv", "json"].forEach(function (fmt) {
        var link = document.getElementById("download-" + fmt);
        link.href = link.href.split("?")[0] + "?" + query;
      });
      var dynamic = document.getElementById("download-dynamic");
      dynamic.href = dynamic.href.split("?")[0] + "?" + query + "&period=" + encodeURIComponent(periodBox.value);
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", page + "?" + query);
      }
      fetchJson(api + "?" + query).then(function (data) {
        if (ticket !== latest) { return; }
        failure.hidden = true;
        var colours = countryColours(data.nodes);
        current = data;
        cy.elements().remove();
        if (data.renderer === "sigma") {
          drawSigma(data, colours);
        } else {
          showRenderer("cytoscape");
          cy.add(elements(data, colours, [26, 70]));
          cy.layout({name: "cose", animate: false, nodeDimensionsIncludeLabels: true, padding: 30,
                     nodeRepulsion: function () { return 12000; }, idealEdgeLength: function () { return 90; },
                     componentSpacing: 60}).run();
          fit(cy, 30, 1.5);
        }
        fillSearch(data);
        resetTimeline();
        clear(details);
        hint.hidden = false;
        drawLegend(colours, data.measure);
        drawTable(data);
        var window_ = data.options.window ? " in " + data.options.window.label : "";
        status.textContent = data.nodes.length + " nodes and " + data.edges.length + " links" + window_ +
          (data.nodes.length ? "." : ": nothing matches these filters.");
        container.setAttribute("data-query", query);
        container.setAttribute("data-renderer", data.renderer || "cytoscape");
        container.setAttribute("data-state", "ready");
      }).catch(function (problem) {
        if (ticket !== latest) { return; }
        failure.textContent = problem.message;
        failure.hidden = false;
        status.textContent = "The network could not be drawn for these filters.";
        container.setAttribute("data-query", query);
        container.setAttribute("data-state", "error");
      });
    }


    // --- Large graphs: sigma.js + graphology (WebGL) ------------------------------------------

    var sigmaBox = document.getElementById("network-sigma");
    var sg = null;
    var focus = {node: null, neighbours: null};

    function showRenderer(name) {
      container.classList.toggle("off-screen", name !== "cytoscape");
      sigmaBox.hidden = name !== "sigma";
      if (name === "cytoscape") {
        if (sg) { sg.kill(); sg = null; }
        cy.resize();
      }
    }

    function drawSigma(data, colours) {
      showRenderer("sigma");
      if (sg) { sg.kill(); sg = null; }
      var graph = new window.graphology.Graph({type: "undirected"});
      var values = data.nodes.map(function (n) { return n.value; });
      var high = Math.max.apply(null, values.concat([0])) || 1;
      data.high = high;
      data.nodes.forEach(function (n) {
        graph.addNode(n.id, {x: n.x, y: n.y, label: n.label, value: n.value, size: 2 + 10 * n.value / high,
                             color: colours[n.country] || NO_COUNTRY});
      });
      data.edges.forEach(function (e) {
        graph.addEdgeWithKey(e.source + " " + e.target, e.source, e.target, {size: 0.5 + Math.min(e.weight, 6) * 0.4,
                                                         color: "#b8c2cc", kinds: e.kinds, weight: e.weight});
      });
      sg = new window.Sigma(graph, sigmaBox, {
        enableEdgeEvents: false, labelRenderedSizeThreshold: 8, zIndex: true, hideEdgesOnMove: true,
        hideLabelsOnMove: true,
        nodeReducer: function (node, attrs) {
          if (attrs.off) { return Object.assign({}, attrs, {hidden: true}); }
          if (focus.node && node !== focus.node && !focus.neighbours.has(node)) {
            return Object.assign({}, attrs, {color: "#e4e8ec", label: null, zIndex: 0});
          }
          if (focus.node) { return Object.assign({}, attrs, {zIndex: 1, forceLabel: node === focus.node}); }
          return attrs;
        },
        edgeReducer: function (edge, attrs) {
          if (attrs.off) { return Object.assign({}, attrs, {hidden: true}); }
          if (focus.node && !graph.hasExtremity(edge, focus.node)) { return Object.assign({}, attrs, {hidden: true}); }
          return attrs;
        }
      });
      window.__sigma = sg;
      sg.on("clickNode", function (evt) { focusOn(evt.node); });
      sg.on("doubleClickNode", function (evt) {
        var path = localPath(evt.node, idBase);
        if (path) { window.location.assign(path); }
      });
      sg.on("clickStage", function () { focusOn(null); });
    }

    // With thousands of links, WebGL picking of links is too slow without a GPU: a focused person's links
    // are listed instead, each opening its events.
    function listLinks(graph, node) {
      clear(details);
      hint.hidden = true;
      details.appendChild(el("h3", "Links of " + graph.getNodeAttribute(node, "label")));
      var list = el("ul", null, {"class": "focus-links"});
      graph.edges(node).map(function (edge) {
        return {other: graph.opposite(node, edge), weight: graph.getEdgeAttribute(edge, "weight"),
                kinds: graph.getEdgeAttribute(edge, "kinds")};
      }).sort(function (a, b) { return b.weight - a.weight; }).slice(0, 200).forEach(function (link) {
        var item = el("li");
        var button = el("button", graph.getNodeAttribute(link.other, "label"), {type: "button"});
        button.addEventListener("click", function () { showLink(node, link.other); });
        item.appendChild(button);
        item.appendChild(document.createTextNode(" " + link.kinds.join(", ") + ", weight " + link.weight));
        list.appendChild(item);
      });
      details.appendChild(list);
    }

    function showLink(source, target) {
      var query = new URLSearchParams(container.getAttribute("data-query") || "");
      query.delete("measure");
      query.set("source", source);
      query.set("target", target);
      hint.hidden = true;
      fetchJson(edgeApi + "?" + query.toString()).then(function (link) {
        var graph = sg.getGraph();
        showEvents(details, graph.getNodeAttribute(source, "label"), graph.getNodeAttribute(target, "label"),
                   link, idBase);
      }).catch(function (problem) { details.textContent = problem.message; });
    }

    // --- Search and focus on a neighbourhood ---------------------------------------------------

    var search = document.getElementById("node-search");
    var searchList = document.getElementById("node-names");
    var byLabel = {};

    function fillSearch(data) {
      clear(searchList);
      byLabel = {};
      data.nodes.forEach(function (n) { byLabel[n.label.toLowerCase()] = n.id; });
      data.nodes.slice().sort(function (a, b) { return b.value - a.value; }).slice(0, 2000).forEach(function (n) {
        searchList.appendChild(el("option", null, {value: n.label}));
      });
      focus = {node: null, neighbours: null};
    }

    function find(text) {
      var wanted = text.trim().toLowerCase();
      if (!wanted) { return null; }
      if (byLabel[wanted]) { return byLabel[wanted]; }
      var hit = Object.keys(byLabel).filter(function (label) { return label.indexOf(wanted) >= 0; })[0];
      return hit ? byLabel[hit] : null;
    }

    function focusOn(node) {
      container.setAttribute("data-focus", node || "");
      if (current && current.renderer === "sigma") {
        var graph = sg.getGraph();
        focus = node ? {node: node, neighbours: new Set(graph.neighbors(node))} : {node: null, neighbours: null};
        sg.refresh();
        if (node) {
          listLinks(graph, node);
          var position = sg.getNodeDisplayData(node);
          sg.getCamera().setState({x: position.x, y: position.y, ratio: 0.25});  // one frame, not an animation
        }
        return;
      }
      cy.elements().removeClass("faded");
      if (!node) { fit(cy, 30, 1.5); return; }
      var centre = cy.getElementById(node);
      var near = centre.closedNeighborhood();
      cy.elements().not(near).addClass("faded");
      cy.animate({fit: {eles: near, padding: 40}}, {duration: 300});
    }

    document.getElementById("node-search-form").addEventListener("submit", function (evt) {
      evt.preventDefault();
      var node = find(search.value);
      status.textContent = node ? "Focused on " + search.value + " and the people linked to them." :
        "No node is called " + search.value + ".";
      focusOn(node);
    });
    document.getElementById("node-search-clear").addEventListener("click", function () {
      search.value = "";
      focusOn(null);
    });

    // --- Replaying the network window by window ------------------------------------------------

    var periodBox = document.getElementById("period");
    var slider = document.getElementById("time-slider");
    var windowLabel = document.getElementById("time-window");
    var play = document.getElementById("time-play");
    var timeline = null;
    var playing = null;

    function resetTimeline() {
      timeline = null;
      slider.value = 0;
      slider.max = 0;
      slider.disabled = true;
      windowLabel.textContent = "all time";
      if (playing) { clearInterval(playing); playing = null; play.textContent = "Play"; }
      loadTimeline();
    }

    function loadTimeline() {
      var query = new URLSearchParams(params());
      query.set("period", periodBox.value);
      var asked = query.toString();
      fetchJson(timelineApi + "?" + asked).then(function (data) {
        if (asked !== timelineQuery()) { return; }
        timeline = data;
        slider.max = data.windows.length;
        slider.disabled = !data.windows.length;
        container.setAttribute("data-windows", String(data.windows.length));
        windowLabel.textContent = data.windows.length ? "all time (" + data.windows.length + " windows)" :
          "no dated events";
      }).catch(function (problem) { windowLabel.textContent = problem.message; });
    }

    function timelineQuery() {
      var query = new URLSearchParams(params());
      query.set("period", periodBox.value);
      return query.toString();
    }

    function applyWindow(index) {
      var chosen = index > 0 && timeline ? timeline.windows[index - 1] : null;
      var edgesOn = null;
      var high = 1;
      if (chosen) {
        edgesOn = new Set(chosen.edges.map(function (e) { return e.id; }));
        high = Math.max.apply(null, Object.values(chosen.nodes).concat([0])) || 1;
      }
      windowLabel.textContent = chosen ? chosen.label + " (" + chosen.start + " to " + chosen.end + "): " +
        Object.keys(chosen.nodes).length + " nodes, " + chosen.edges.length + " links" : "all time";
      container.setAttribute("data-window", chosen ? chosen.label : "");
      if (current && current.renderer === "sigma") {
        var graph = sg.getGraph();
        graph.forEachNode(function (node, attrs) {
          var on = !chosen || chosen.nodes[node] !== undefined;
          graph.mergeNodeAttributes(node, {off: !on, size: chosen && on ? 2 + 10 * chosen.nodes[node] / high :
                                                         2 + 10 * attrs.value / (current.high || 1)});
        });
        graph.forEachEdge(function (edge) { graph.setEdgeAttribute(edge, "off", !!chosen && !edgesOn.has(edge)); });
        return;
      }
      cy.batch(function () {
        cy.nodes().forEach(function (node) {
          var on = !chosen || chosen.nodes[node.id()] !== undefined;
          node.toggleClass("off", !on);
          if (chosen && on) { node.style({width: 26 + 44 * chosen.nodes[node.id()] / high,
                                          height: 26 + 44 * chosen.nodes[node.id()] / high}); }
          if (!chosen) { node.removeStyle("width height"); }
        });
        cy.edges().forEach(function (edge) { edge.toggleClass("off", !!chosen && !edgesOn.has(edge.id())); });
      });
    }

    slider.addEventListener("input", function () { applyWindow(Number(slider.value)); });
    periodBox.addEventListener("change", function (evt) { evt.stopPropagation(); resetTimeline(); applyWindow(0); });
    play.addEventListener("click", function () {
      if (playing) { clearInterval(playing); playing = null; play.textContent = "Play"; return; }
      if (!timeline || !timeline.windows.length) { return; }
      play.textContent = "Pause";
      slider.value = 0;
      playing = setInterval(function () {
        var next = Number(slider.value) + 1;
        if (next > timeline.windows.length) { clearInterval(playing); playing = null; play.textContent = "Play"; return; }
        slider.value = next;
        applyWindow(next);
      }, 1200);
    });

    form.addEventListener("submit", function (evt) { evt.preventDefault(); load(); });
    // Dates and a Solar Hijri year are alternatives: typing one clears the other.
    form.addEventListener("input", function (evt) {
      var name = evt.target.name;
      if ((name === "from" || name === "to") && evt.target.value) {
        form.elements["iranian-year"].value = "";
      } else if (name === "iranian-year" && evt.target.value) {
        form.elements.from.value = "";
        form.elements.to.value = "";
      }
    });
    form.addEventListener("change", function (evt) {
      if (["period", "time-slider", "node-search"].indexOf(evt.target.id) >= 0) { return; }
      load();
    });
    document.getElementById("clear-time").addEventListener("click", function () {
      form.elements.from.value = "";
      form.elements.to.value = "";
      form.elements["iranian-year"].value = "";
      load();
    });
    document.getElementById("download-png").addEventListener("click", function () {
      if (current && current.renderer === "sigma") {
        status.textContent = "PNG is for small graphs; download GEXF and draw large ones in Gephi.";
        return;
      }
      var blob = cy.png({output: "blob", full: true, scale: 2, bg: "#ffffff"});
      var link = el("a", null, {download: "eurasia-kg-network.png"});
      link.href = URL.createObjectURL(blob);
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    });
    load();
  }

  // --- A person's neighbourhood, on their resource page ------------------------------------

  function neighbourhood(container) {
    var idBase = container.getAttribute("data-id-base");
    var centre = container.getAttribute("data-node");
    var status = document.getElementById("neighbourhood-status");
    var details = document.getElementById("neighbourhood-events");
    var list = document.getElementById("neighbourhood-list");
    var url = container.getAttribute("data-api") + "?" + new URLSearchParams({node: centre}).toString();
    container.setAttribute("data-state", "loading");
    fetchJson(url).then(function (data) {
      if (!data.edges.length) {
        container.hidden = true;
        status.textContent = "No links to other people in the network (facts the sources state).";
        container.setAttribute("data-state", "ready");
        return;
      }
      var colours = countryColours(data.nodes);
      var cy = window.cytoscape({container: container, style: style(), elements: elements(data, colours, [20, 40]),
                                 minZoom: 0.3, maxZoom: 3});
      window.__cyNeighbourhood = cy;
      cy.getElementById(centre).addClass("centre");
      cy.layout({name: "concentric", animate: false, padding: 20, minNodeSpacing: 60,
                 concentric: function (node) { return node.id() === centre ? 2 : 1; },
                 levelWidth: function () { return 1; }}).run();
      fit(cy, 20, 1.1);
      bindEdges(cy, details, idBase, null);
      bindNodes(cy, idBase, centre);
      status.textContent = (data.nodes.length - 1) + " linked " + (data.nodes.length === 2 ? "person" : "people") +
        ". Hover over a link for its events; click a person to open their page.";
      data.nodes.forEach(function (n) {
        if (n.id === centre) { return; }
        var item = el("li");
        var path = localPath(n.id, idBase);
        item.appendChild(path ? el("a", n.label, {href: path}) : el("span", n.label));
        list.appendChild(item);
      });
      container.setAttribute("data-state", "ready");
    }).catch(function (problem) {
      container.hidden = true;
      status.textContent = "The neighbourhood could not be loaded: " + problem.message;
      container.setAttribute("data-state", "error");
    });
  }

  function start() {
    if (typeof window.cytoscape !== "function") { return; }
    var main = document.getElementById("network-graph");
    if (main) { networkPage(main); }
    var small = document.getElementById("neighbourhood-graph");
    if (small) { neighbourhood(small); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
