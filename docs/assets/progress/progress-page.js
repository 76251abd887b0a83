// The website's progress page: draws the learner's progress from the export the autograder writes
// (docs/assets/progress/progress-data.js, or any file from `coursekit progress --export FILE` opened below).
// Plain JavaScript, no network: it works under `mkdocs serve` and from a built site opened as files.
(function () {
  "use strict";
  var WORDS = {
    en: {passed: "passed", failed: "failed", timeout: "failed (time limit)", "not attempted": "not attempted",
         broken: "broken", never: "not graded yet", chapter: "Chapter", exercise: "Exercise", function: "Function",
         status: "Status",
         points: "Points", when: "Last graded", total: "{done} of {all} exercises passed, {score} / {max} points.",
         exported: "Exported {when}.", none: "No progress yet: run `pytest autograder` (or `coursekit watch`), then reload this page."},
    zh: {passed: "通过", failed: "未通过", timeout: "未通过（超时）", "not attempted": "未作答", broken: "无法导入",
         never: "尚未评分", chapter: "第", exercise: "练习", function: "函数", status: "状态", points: "得分", when: "最近评分",
         total: "已通过 {done}/{all} 个练习，得分 {score} / {max}。", exported: "导出时间：{when}。",
         none: "还没有进度记录：请运行 `pytest autograder`（或 `coursekit watch`），然后刷新本页。"}
  };

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function when(seconds) {
    return seconds ? new Date(seconds * 1000).toLocaleString() : "";
  }

  function bar(done, total) {
    var width = 20, filled = total ? Math.round(width * done / total) : 0;
    return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // The guides' chapter titles in the page's language, with links: data-chapters, written by docs_hooks/progress_page.py.
  function chapterTitles(root) {
    try { return JSON.parse(root.getAttribute("data-chapters") || "{}"); } catch (error) { return {}; }
  }

  function chapterHeading(chapter, guide, passed, total) {
    var heading = element("h3");
    if (guide) {
      var link = element("a", guide.title);
      link.href = guide.url;
      heading.appendChild(link);
    } else {
      heading.appendChild(document.createTextNode(chapter));
    }
    heading.appendChild(document.createTextNode(" "));
    heading.appendChild(element("span", bar(passed, total), "coursekit-progress-bar"));
    heading.appendChild(document.createTextNode(" " + passed + " / " + total));
    return heading;
  }

  // A table without a class, in Material's wrappers: the theme then styles it like every table of the site.
  function styledTable(head, rows) {
    var table = element("table"), thead = element("thead"), tbody = element("tbody"), tr = element("tr");
    head.forEach(function (t) { tr.appendChild(element("th", t)); });
    thead.appendChild(tr);
    rows.forEach(function (row) { tbody.appendChild(row); });
    table.appendChild(thead);
    table.appendChild(tbody);
    var scroll = element("div", undefined, "md-typeset__scrollwrap"), wrap = element("div", undefined, "md-typeset__table");
    wrap.appendChild(table);
    scroll.appendChild(wrap);
    return scroll;
  }

  function exerciseCell(id, guide) {
    var cell = element("td");
    if (guide) {
      var link = element("a", id);
      link.href = guide.url + "#ex-" + id.replace(".", "-");
      cell.appendChild(link);
    } else {
      cell.textContent = id;
    }
    return cell;
  }

  function render(root, data) {
    var lang = root.getAttribute("data-lang") === "zh" ? "zh" : "en", w = WORDS[lang], guides = chapterTitles(root);
    var results = data.results || {}, catalog = data.catalog || {};
    var ids = Object.keys(catalog).length ? Object.keys(catalog) : Object.keys(results);
    ids.sort(function (a, b) {
      var x = a.split(".").map(Number), y = b.split(".").map(Number);
      return x[0] - y[0] || x[1] - y[1];
    });
    root.textContent = "";
    if (!Object.keys(results).length) {
      root.appendChild(element("p", w.none));
      return;
    }
    var chapters = {}, order = [];
    ids.forEach(function (id) {
      var info = catalog[id] || results[id], chapter = info.chapter;
      if (!chapters[chapter]) { chapters[chapter] = []; order.push(chapter); }
      chapters[chapter].push(id);
    });
    var done = 0, score = 0, max = 0;
    order.forEach(function (chapter) {
      var list = chapters[chapter], guide = guides[chapter];
      var passed = list.filter(function (id) { return results[id] && results[id].status === "passed"; }).length;
      root.appendChild(chapterHeading(chapter, guide, passed, list.length));
      var rows = list.map(function (id) {
        var info = catalog[id] || results[id], r = results[id], row = element("tr");
        var status = r ? r.status : null;
        var points = r ? r.score + " / " + r.points : "- / " + (info.points || "?");
        row.setAttribute("data-exercise", id);
        row.setAttribute("data-status", status || "never");
        row.appendChild(exerciseCell(id, guide));
        row.appendChild(element("td")).appendChild(element("code", info.function));
        [status ? (w[status] || status) : w.never, points, r ? when(r.updated) : ""]
          .forEach(function (t) { row.appendChild(element("td", t)); });
        if (r) { score += r.score; }
        if (status === "passed") { done += 1; }
        max += r ? r.points : (info.points || 0);
        return row;
      });
      root.appendChild(styledTable([w.exercise, w["function"], w.status, w.points, w.when], rows));
    });
    root.appendChild(element("p", fill(w.total, {done: done, all: ids.length, score: score, max: max}),
                             "coursekit-progress-total"));
    if (data.exported) root.appendChild(element("p", fill(w.exported, {when: when(data.exported)})));
  }

  function parse(text) {
    var start = text.indexOf("{"), end = text.lastIndexOf("}");
    return JSON.parse(text.slice(start, end + 1));  // JSON, or the progress-data.js script around it
  }

  function start() {
    var root = document.getElementById("coursekit-progress");
    if (!root) return;
    if (window.COURSEKIT_PROGRESS) render(root, window.COURSEKIT_PROGRESS);
    var input = document.getElementById("coursekit-progress-file");
    if (input) {
      input.addEventListener("change", function () {
        var file = input.files[0];
        if (!file) return;
        file.text().then(function (text) { render(root, parse(text)); });
      });
    }
  }

  window.coursekitRenderProgress = render;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
