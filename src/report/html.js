"use strict";
// Sorts and filters the rows the report already holds. It never builds markup: every
// text was written into the page, escaped, when the report was made; only textContent,
// attributes and the order of existing rows change here.
(function () {
  var errors = document.getElementById("errors");
  function report(message) {
    if (errors) {
      errors.textContent += message + "\n";
    }
  }
  window.addEventListener("error", function (e) {
    report("error: " + e.message);
  });

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function sortBy(table, index, header) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) {
      headers[i].removeAttribute("aria-sort");
    }
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var order = collator.compare(cellText(a, index), cellText(b, index));
      if (order === 0) {
        order = Number(a.dataset.order) - Number(b.dataset.order);
      }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row, i) {
      row.dataset.order = String(i);
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var button = header.querySelector("button");
      if (button) {
        button.addEventListener("click", function () {
          sortBy(table, index, header);
        });
      }
    });
  });

  var table = document.getElementById("subscriptions-table");
  var text = document.getElementById("filter");
  var verdict = document.getElementById("verdict-filter");
  var shown = document.getElementById("shown");

  function applyFilter() {
    if (!table || !text || !verdict) {
      return;
    }
    var needle = text.value.trim().toLowerCase();
    var wanted = verdict.value;
    var rows = table.tBodies[0].rows;
    var visible = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var match = (wanted === "" || row.dataset.verdict === wanted) &&
        (needle === "" || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.hidden = !match;
      if (match) {
        visible++;
      }
    }
    if (shown) {
      shown.textContent = visible + " of " + rows.length + " rows shown";
    }
  }

  // A filter and an order can be given in the address:
  // report.html#filter=prod&verdict=fail&sort=reason
  function fromFragment() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    if (table && params.has("sort")) {
      var headers = table.tHead.rows[0].cells;
      for (var i = 0; i < headers.length; i++) {
        if (headers[i].textContent.trim() === params.get("sort")) {
          headers[i].removeAttribute("aria-sort");
          sortBy(table, i, headers[i]);
        }
      }
    }
    if (text && params.has("filter")) {
      text.value = params.get("filter");
    }
    if (verdict && params.has("verdict")) {
      verdict.value = params.get("verdict");
    }
    applyFilter();
  }

  if (text && verdict) {
    text.addEventListener("input", applyFilter);
    verdict.addEventListener("change", applyFilter);
    window.addEventListener("hashchange", fromFragment);
  }
  fromFragment();
  document.documentElement.setAttribute("data-script", "ready");
})();
