/* The "Graph" view of the query UI at /: a YASR plugin that draws a result with the vendored cytoscape.js,
 * as Wikidata's query service does.
 *
 * It offers itself for two kinds of result:
 *  - a CONSTRUCT or DESCRIBE graph (YASR has it as N-Triples, parsed into subject/predicate/object). Every
 *    subject and every IRI or blank-node object is a node; every such triple is an edge, labelled with its
 *    predicate. Literal objects are not drawn: an rdfs:label, skos:prefLabel, schema:name or foaf:name names
 *    its subject's node (English first), and the other literals are listed when the pointer is on the node.
 *  - a SELECT with ?source and ?target columns: one edge per distinct (source, target, ?label) and a node for
 *    each value, literals included. ?sourceLabel and ?targetLabel name the nodes, ?label the edges, and
 *    ?weight (a number) their width; without ?weight, the number of rows behind an edge is its weight.
 *    Such edges are drawn without arrows (pairs are often symmetric); a graph's edges have arrows.
 *
 * cytoscape.js is loaded only when the view is first drawn. Text from the data is only ever set with
 * textContent or as cytoscape data, never as HTML. The instance drawn last is window.__graphView.
 */
(function () {
  "use strict";

  var RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label";
  var LABEL_PREDICATES = [RDFS_LABEL, "http://www.w3.org/2004/02/skos/core#prefLabel",
                          "http://schema.org/name", "https://schema.org/name", "http://xmlns.com/foaf/0.1/name"];
  // matplotlib's tab10, as on /network.
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"];
  var MAX_NODES = 1500;
  var MAX_EDGES = 3000;
  var EDGE_LABELS_UP_TO = 80;
  var LITERALS_SHOWN = 8;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function shorten(text, most) {
    return text.length > most ? text.slice(0, most - 1) + "\u2026" : text;
  }

  // --- From a result to nodes and edges --------------------------------------------------------------

  /* The kind of graph a YASR result can be drawn as: "triples", "pairs", or null. */
  function kindOf(results) {
    if (!results || (results.getError && results.getError())) { return null; }
    var vars = results.getVariables() || [];
    var bindings = results.getBindings && results.getBindings();
    if (!bindings) { return null; }
    if (results.getType() === "ttl") { return "triples"; }
    return vars.indexOf("source") >= 0 && vars.indexOf("target") >= 0 ? "pairs" : null;
  }

  function termKey(term) {
    if (term.type === "uri") { return term.value; }
    if (term.type === "bnode") { return "_:" + term.value; }
    var lang = term["xml:lang"];
    return JSON.stringify(term.value) + (lang ? "@" + lang : (term.datatype ? "^^" + term.datatype : ""));
  }

  function Builder(options) {
    this.options = options;
    this.nodes = {};
    this.order = [];
    this.edges = {};
    this.edgeOrder = [];
    this.omitted = 0;
    this.labels = 0;
  }

  Builder.prototype.name = function (term) {
    if (term.type === "uri") { return this.options.shortIri(term.value); }
    if (term.type === "bnode") { return "_:" + term.value; }
    return shorten(term.value, 60);
  };

  Builder.prototype.node = function (term) {
    var key = termKey(term);
    var node = this.nodes[key];
    if (!node) {
      var kind = term.type === "uri" ? "iri" : (term.type === "bnode" ? "bnode" : "literal");
      var href = term.type === "uri" ? this.options.localHref(term.value) : null;
      node = {id: key, kind: kind, value: term.value, href: href, name: this.name(term), label: null,
              labelRank: 99, literals: [], group: kind === "iri" ? this.options.group(term.value) : kind};
      this.nodes[key] = node;
      this.order.push(key);
    }
    return node;
  };

  /* Name a node with a label; a better-ranked label (English, then untagged) replaces a worse one. */
  Builder.prototype.label = function (node, term) {
    if (!term) { return; }
    var lang = (term["xml:lang"] || "").toLowerCase();
    var rank = lang === "en" || lang.indexOf("en-") === 0 ? 0 : (lang === "" ? 1 : 2);
    if (rank < node.labelRank) {
      node.label = term.value;
      node.labelRank = rank;
    }
  };

  Builder.prototype.edge = function (source, target, label, weight, directed) {
    var key = JSON.stringify([source.id, target.id, label || ""]);
    var edge = this.edges[key];
    if (!edge) {
      edge = {id: "e" + this.edgeOrder.length, source: source.id, target: target.id, label: label || "",
              rows: 0, weight: null, directed: directed};
      this.edges[key] = edge;
      this.edgeOrder.push(key);
    }
    edge.rows += 1;
    if (typeof weight === "number" && isFinite(weight)) {
      edge.weight = edge.weight === null ? weight : Math.max(edge.weight, weight);
    }
    return edge;
  };

  Builder.prototype.fromPairs = function (bindings) {
    var self = this;
    bindings.forEach(function (row) {
      if (!row.source || !row.target) { return; }
      var source = self.node(row.source);
      var target = self.node(row.target);
      self.label(source, row.sourceLabel);
      self.label(target, row.targetLabel);
      var weight = row.weight ? parseFloat(row.weight.value) : null;
      self.edge(source, target, row.label ? row.label.value : "", weight, false);
    });
    return this;
  };

  Builder.prototype.fromTriples = function (bindings) {
    var self = this;
    bindings.forEach(function (row) {
      var subject = self.node(row.subject);
      var predicate = row.predicate.value;
      if (row.object.type === "literal" || row.object.type === "typed-literal") {
        if (LABEL_PREDICATES.indexOf(predicate) >= 0) {
          self.label(subject, row.object);
        }
        if (predicate === RDFS_LABEL) {
          self.labels += 1;
        } else {
          subject.literals.push(self.options.shortIri(predicate) + ": " + row.object.value);
          self.omitted += 1;
        }
        return;
      }
      self.edge(subject, self.node(row.object), self.options.shortIri(predicate), null, true);
    });
    return this;
  };

  /* The graph as plain data: {nodes, edges, labels: rdfs:label literals, omitted: other literals}; literals of
   * a graph are not drawn. */
  Builder.prototype.result = function () {
    var self = this;
    var degree = {};
    var edges = this.edgeOrder.map(function (key) {
      var e = self.edges[key];
      degree[e.source] = (degree[e.source] || 0) + 1;
      degree[e.target] = (degree[e.target] || 0) + 1;
      return {id: e.id, source: e.source, target: e.target, label: e.label, directed: e.directed,
              weight: e.weight === null ? e.rows : e.weight};
    });
    var nodes = this.order.map(function (key) {
      var n = self.nodes[key];
      return {id: n.id, kind: n.kind, value: n.value, href: n.href, group: n.group,
              label: shorten(n.label !== null ? n.label : n.name, 80), name: n.name,
              literals: n.literals, degree: degree[n.id] || 0};
    });
    return {nodes: nodes, edges: edges, labels: this.labels, omitted: this.omitted};
  };

  function build(results, options) {
    var kind = kindOf(results);
    if (!kind) { return null; }
    var builder = new Builder(options);
    var bindings = results.getBindings();
    return kind === "triples" ? builder.fromTriples(bindings).result() : builder.fromPairs(bindings).result();
  }

  // --- Drawing --------------------------------------------------------------------------------------

  function colours(nodes) {
    var groups = [];
    nodes.forEach(function (n) {
      if (n.kind === "iri" && n.group && groups.indexOf(n.group) < 0) { groups.push(n.group); }
    });
    groups.sort();
    var map = {};
    groups.forEach(function (g, i) { map[g] = PALETTE[i % PALETTE.length]; });
    return map;
  }

  function elements(graph, palette) {
    var high = Math.max.apply(null, graph.nodes.map(function (n) { return n.degree; }).concat([1]));
    var weights = graph.edges.map(function (e) { return e.weight; });
    var low = Math.min.apply(null, weights.concat([1]));
    var top = Math.max.apply(null, weights.concat([1]));
    var nodes = graph.nodes.map(function (n) {
      return {group: "nodes", classes: n.kind + (n.href ? " local" : ""),
              data: {id: n.id, label: n.label, kind: n.kind, value: n.value, href: n.href, group: n.group,
                     colour: palette[n.group] || "#bbbbbb", size: 18 + 22 * Math.sqrt(n.degree / high)}};
    });
    var labelled = graph.edges.length <= EDGE_LABELS_UP_TO;
    var edges = graph.edges.map(function (e) {
      return {group: "edges", classes: (e.directed ? "directed" : "") + (labelled ? " labelled" : ""),
              data: {id: e.id, source: e.source, target: e.target, label: e.label, weight: e.weight,
                     width: top > low ? 1.5 + 4.5 * (e.weight - low) / (top - low) : 2}};
    });
    return nodes.concat(edges);
  }

  function style() {
    return [
      {selector: "node", style: {
        "width": "data(size)", "height": "data(size)", "background-color": "data(colour)", "label": "data(label)",
        "font-size": 11, "text-wrap": "wrap", "text-max-width": 140, "text-valign": "bottom", "text-margin-y": 3,
        "color": "#222", "border-width": 1, "border-color": "#444"}},
      {selector: "node.literal", style: {
        "shape": "round-rectangle", "background-color": "#fff6d5", "border-color": "#b59b3a", "width": 16,
        "height": 16}},
      {selector: "node.bnode", style: {"background-color": "#ffffff", "border-style": "dashed"}},
      {selector: "node.local", style: {"border-width": 2}},
      {selector: "node.hover", style: {"border-color": "#c9a227", "border-width": 4}},
      {selector: "edge", style: {
        "width": "data(width)", "line-color": "#8a99a8", "curve-style": "bezier", "font-size": 9,
        "color": "#445", "text-rotation": "autorotate", "text-background-color": "#ffffff",
        "text-background-opacity": 0.8, "text-background-padding": 1,
        "target-arrow-color": "#8a99a8", "arrow-scale": 0.8}},
      {selector: "edge.directed", style: {"target-arrow-shape": "triangle"}},
      {selector: "edge.labelled, edge.hover", style: {"label": "data(label)"}},
      {selector: "edge.hover", style: {"line-color": "#c9a227", "target-arrow-color": "#c9a227", "z-index": 10}}
    ];
  }

  // Fit the graph in view, without blowing a graph of two or three nodes up to giant size (as network.js).
  function fit(cy, padding, most) {
    cy.fit(undefined, padding);
    if (cy.zoom() > most) {
      cy.zoom(most);
      cy.center();
    }
  }

  function loadCytoscape(src) {
    if (typeof window.cytoscape === "function") { return Promise.resolve(); }
    if (!loadCytoscape.promise) {
      loadCytoscape.promise = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.addEventListener("load", function () { resolve(); });
        script.addEventListener("error", function () {
          loadCytoscape.promise = null;
          reject(new Error("cytoscape.js could not be loaded"));
        });
        document.head.appendChild(script);
      });
    }
    return loadCytoscape.promise;
  }

  // --- The YASR plugin -------------------------------------------------------------------------------

  /* A YASR plugin class drawing results as a graph. options: cytoscapeJs (its URL), localHref(iri) (a path
   * on this server for an IRI, or null), shortIri(iri) (a prefixed name, or the IRI), group(iri) (a colour
   * group for an IRI, or null). */
  function plugin(options) {
    function GraphView(yasr) {
      this.yasr = yasr;
      this.label = "Graph";
      this.priority = 5;
      this.cy = null;
    }

    GraphView.prototype.canHandleResults = function () {
      return kindOf(this.yasr.results) !== null;
    };

    GraphView.prototype.initialize = function () {
      return loadCytoscape(options.cytoscapeJs);
    };

    GraphView.prototype.getIcon = function () {
      var ns = "http://www.w3.org/2000/svg";
      var svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 16 16");
      svg.setAttribute("width", "16");
      svg.setAttribute("height", "16");
      svg.setAttribute("aria-hidden", "true");
      [["line", {x1: 4, y1: 4, x2: 12, y2: 7}], ["line", {x1: 4, y1: 4, x2: 6, y2: 13}],
       ["line", {x1: 12, y1: 7, x2: 6, y2: 13}], ["circle", {cx: 4, cy: 4, r: 2.3}],
       ["circle", {cx: 12, cy: 7, r: 2.3}], ["circle", {cx: 6, cy: 13, r: 2.3}]].forEach(function (shape) {
        var part = document.createElementNS(ns, shape[0]);
        Object.keys(shape[1]).forEach(function (name) { part.setAttribute(name, String(shape[1][name])); });
        part.setAttribute(shape[0] === "line" ? "stroke" : "fill", "currentColor");
        part.setAttribute("stroke-width", "1.3");
        svg.appendChild(part);
      });
      return svg;
    };

    GraphView.prototype.download = function (name) {
      var results = this.yasr.results;
      var kind = kindOf(results);
      if (!kind) { return undefined; }
      var triples = kind === "triples";
      return {
        getData: function () { return triples ? results.getOriginalResponseAsString() : results.asCsv(); },
        contentType: triples ? "application/n-triples" : "text/csv",
        title: triples ? "Download the graph (N-Triples)" : "Download the result (CSV)",
        filename: (name || "eurasia-kg-result") + (triples ? ".nt" : ".csv")
      };
    };

    GraphView.prototype.destroy = function () {
      if (this.cy) {
        this.cy.destroy();
        if (window.__graphView === this.cy) { window.__graphView = null; }
        this.cy = null;
      }
    };

    GraphView.prototype.draw = function () {
      this.destroy();
      var graph = build(this.yasr.results, options);
      var box = el("div", null, {"class": "ekg-graph"});
      var status = el("p", null, {"class": "ekg-graph-status", "role": "status"});
      var canvas = el("div", null, {"class": "ekg-graph-canvas", "data-state": "loading"});
      var info = el("p", null, {"class": "ekg-graph-info"});
      box.appendChild(status);
      box.appendChild(canvas);
      box.appendChild(info);
      this.yasr.resultsEl.appendChild(box);
      if (!graph) { return; }
      if (graph.nodes.length > MAX_NODES || graph.edges.length > MAX_EDGES) {
        canvas.hidden = true;
        status.textContent = "The result makes " + graph.nodes.length + " nodes and " + graph.edges.length +
          " edges: too many to draw (at most " + MAX_NODES + " nodes and " + MAX_EDGES + " edges). " +
          "Add a LIMIT, or narrow the query.";
        canvas.setAttribute("data-state", "too-large");
        return;
      }
      var palette = colours(graph.nodes);
      var cy = window.cytoscape({container: canvas, style: style(), elements: elements(graph, palette),
                                 minZoom: 0.1, maxZoom: 4});
      this.cy = cy;
      window.__graphView = cy;
      // The same answer is always drawn the same way: cose starts from the nodes on a circle, in the
      // answer's order, rather than from random places (a user comparing two runs, and the tests, see
      // one picture).
      var count = cy.nodes().length, radius = 40 + 12 * count;
      cy.nodes().positions(function (node, i) {
        var angle = 2 * Math.PI * i / Math.max(count, 1);
        return {x: radius * Math.cos(angle), y: radius * Math.sin(angle)};
      });
      cy.layout({name: "cose", animate: false, nodeDimensionsIncludeLabels: true, padding: 30, randomize: false,
                 nodeRepulsion: function () { return 9000; }, idealEdgeLength: function () { return 80; },
                 componentSpacing: 60}).run();
      fit(cy, 30, 1.5);

      var text = graph.nodes.length + (graph.nodes.length === 1 ? " node, " : " nodes, ") + graph.edges.length +
        (graph.edges.length === 1 ? " edge" : " edges");
      if (graph.labels) {
        text += "; " + graph.labels +
          (graph.labels === 1 ? " rdfs:label names its node" : " rdfs:labels name their nodes");
      }
      if (graph.omitted) {
        text += "; " + graph.omitted + (graph.omitted === 1 ? " other literal is" : " other literals are") +
          " not drawn, but listed when you point at their node";
      }
      status.textContent = text + ". Drag to move, scroll to zoom; click a resource of this dataset to open " +
        "its page.";
      this.legend(box, palette);
      showHint(info);

      var nodes = {};
      graph.nodes.forEach(function (n) { nodes[n.id] = n; });
      cy.on("mouseover", "node", function (evt) {
        evt.target.addClass("hover");
        evt.target.connectedEdges().addClass("hover");
        canvas.style.cursor = evt.target.data("href") ? "pointer" : "";
        showNode(info, nodes[evt.target.id()]);
      });
      cy.on("mouseout", "node", function (evt) {
        evt.target.removeClass("hover");
        evt.target.connectedEdges().removeClass("hover");
        canvas.style.cursor = "";
      });
      cy.on("mouseover", "edge", function (evt) {
        evt.target.addClass("hover");
        showEdge(info, evt.target, nodes);
      });
      cy.on("mouseout", "edge", function (evt) { evt.target.removeClass("hover"); });
      cy.on("tap", "node", function (evt) {
        var href = evt.target.data("href");
        if (href) {
          window.location.assign(href);
        } else {
          showNode(info, nodes[evt.target.id()]);
        }
      });
      canvas.setAttribute("data-state", "ready");
      canvas.setAttribute("data-kind", kindOf(this.yasr.results));
    };

    GraphView.prototype.legend = function (box, palette) {
      var groups = Object.keys(palette);
      if (!groups.length) { return; }
      var list = el("ul", null, {"class": "ekg-graph-legend"});
      groups.forEach(function (group) {
        var item = el("li");
        var swatch = el("span", null, {"class": "swatch"});
        swatch.style.backgroundColor = palette[group];
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(group));
        list.appendChild(item);
      });
      box.insertBefore(list, box.lastChild);
    };

    return GraphView;
  }

  function showHint(info) {
    info.replaceChildren(document.createTextNode("Point at a node or an edge for its details."));
  }

  function showNode(info, node) {
    if (!node) { return; }
    info.replaceChildren();
    info.appendChild(el("strong", node.label));
    if (node.kind !== "literal" && node.label !== node.name) {
      info.appendChild(document.createTextNode(" \u00b7 "));
      info.appendChild(node.href ? el("a", node.value, {href: node.href}) : el("code", node.value));
    } else if (node.href) {
      info.appendChild(document.createTextNode(" \u00b7 "));
      info.appendChild(el("a", "open its page", {href: node.href}));
    }
    if (node.literals.length) {
      var list = el("ul");
      node.literals.slice(0, LITERALS_SHOWN).forEach(function (line) {
        list.appendChild(el("li", shorten(line, 200)));
      });
      if (node.literals.length > LITERALS_SHOWN) {
        list.appendChild(el("li", "\u2026 and " + (node.literals.length - LITERALS_SHOWN) + " more"));
      }
      info.appendChild(list);
    }
  }

  function showEdge(info, edge, nodes) {
    var source = nodes[edge.data("source")];
    var target = nodes[edge.data("target")];
    info.replaceChildren();
    info.appendChild(el("strong", source.label));
    info.appendChild(document.createTextNode(edge.hasClass("directed") ? " \u2192 " : " \u2014 "));
    info.appendChild(el("strong", target.label));
    var parts = [];
    if (edge.data("label")) { parts.push(edge.data("label")); }
    if (!edge.hasClass("directed")) { parts.push("weight " + edge.data("weight")); }
    if (parts.length) { info.appendChild(document.createTextNode(" (" + parts.join("; ") + ")")); }
  }

  window.EkgGraphView = {plugin: plugin, build: build, kindOf: kindOf};
}());
