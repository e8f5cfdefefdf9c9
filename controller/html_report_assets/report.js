// Draws the report's charts from the JSON in #report-data on <canvas> elements. No
// libraries, no network. Each canvas gets data-drawn="N points" (N = x positions drawn)
// and data-series="K" once drawn, or data-error when drawing failed; <body> gets
// data-charts-drawn with the number of charts drawn.
(function () {
  'use strict';
  var COLORS = ['#1f77b4', '#2ca02c', '#ff7f0e', '#d62728', '#9467bd', '#8c564b'];
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var drawn = 0;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function clock(sec) {
    var d = new Date(sec * 1000);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function niceStep(max, ticks) {
    var raw = max / ticks;
    var mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var norm = raw / mag;
    var step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
    return Math.max(step * mag, 1e-9);
  }
  function number(v) {
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    return String(Math.round(v * 100) / 100);
  }
  function mark(canvas, points, series) {
    canvas.setAttribute('data-drawn', points + ' points');
    canvas.setAttribute('data-series', String(series));
    drawn++;
  }
  function begin(canvas) {
    var ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = '14px sans-serif';
    ctx.lineWidth = 1;
    return ctx;
  }
  function noData(ctx, canvas) {
    ctx.fillStyle = '#5b6478';
    ctx.textAlign = 'center';
    ctx.fillText('no samples', canvas.width / 2, canvas.height / 2);
  }
  function legend(ctx, series, x, y) {
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    for (var i = 0; i < series.length; i++) {
      ctx.fillStyle = COLORS[i % COLORS.length];
      ctx.fillRect(x, y - 5, 14, 10);
      ctx.fillStyle = '#1d2330';
      ctx.fillText(series[i].name, x + 18, y);
      x += 26 + ctx.measureText(series[i].name).width;
    }
  }
  // Frame, horizontal grid and y labels; returns the plot area and the y scale top.
  function frame(ctx, canvas, ymax, unit) {
    var m = { l: 70, r: 20, t: 34, b: 48 };
    var area = { x0: m.l, x1: canvas.width - m.r, y0: m.t, y1: canvas.height - m.b };
    var step = niceStep(ymax > 0 ? ymax : 1, 5);
    var top = Math.ceil((ymax > 0 ? ymax : 1) / step) * step;
    ctx.strokeStyle = '#d8dce5';
    ctx.fillStyle = '#5b6478';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (var v = 0; v <= top + step / 2; v += step) {
      var y = area.y1 - v / top * (area.y1 - area.y0);
      ctx.beginPath(); ctx.moveTo(area.x0, y); ctx.lineTo(area.x1, y); ctx.stroke();
      ctx.fillText(number(v), area.x0 - 6, y);
    }
    if (unit) {
      ctx.save();
      ctx.translate(14, (area.y0 + area.y1) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'center';
      ctx.fillText(unit, 0, 0);
      ctx.restore();
    }
    area.top = top;
    return area;
  }

  // xs: epoch seconds (ascending); series: [{name, values}] of xs.length values each.
  function lineChart(id, xs, series, unit) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var ctx = begin(canvas);
    if (xs.length === 0) { noData(ctx, canvas); mark(canvas, 0, series.length); return; }
    var ymax = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v > ymax) ymax = v; }); });
    var a = frame(ctx, canvas, ymax, unit);
    var xmin = xs[0], xmax = xs[xs.length - 1];
    if (xmax === xmin) { xmin -= 1; xmax += 1; }
    function X(x) { return a.x0 + (x - xmin) / (xmax - xmin) * (a.x1 - a.x0); }
    function Y(y) { return a.y1 - y / a.top * (a.y1 - a.y0); }
    ctx.fillStyle = '#5b6478';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    var ticks = Math.min(6, Math.max(1, xmax - xmin));
    for (var i = 0; i <= ticks; i++) {
      var t = Math.round(xmin + (xmax - xmin) * i / ticks);
      ctx.textAlign = i === 0 ? 'left' : i === ticks ? 'right' : 'center';
      ctx.fillText(clock(t), X(t), a.y1 + 6);
    }
    series.forEach(function (s, k) {
      ctx.strokeStyle = ctx.fillStyle = COLORS[k % COLORS.length];
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (var j = 0; j < xs.length; j++) {
        if (j === 0) ctx.moveTo(X(xs[j]), Y(s.values[j])); else ctx.lineTo(X(xs[j]), Y(s.values[j]));
      }
      ctx.stroke();
      if (xs.length < 60) {
        for (j = 0; j < xs.length; j++) ctx.fillRect(X(xs[j]) - 3, Y(s.values[j]) - 3, 6, 6);
      }
    });
    ctx.lineWidth = 1;
    legend(ctx, series, a.x0, 16);
    mark(canvas, xs.length, series.length);
  }

  // categories: x labels; series: [{name, values}] of categories.length values each.
  function barChart(id, categories, series, unit) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var ctx = begin(canvas);
    if (categories.length === 0) { noData(ctx, canvas); mark(canvas, 0, series.length); return; }
    var ymax = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v > ymax) ymax = v; }); });
    var a = frame(ctx, canvas, ymax, unit);
    var slot = (a.x1 - a.x0) / categories.length;
    var bar = Math.max(1, slot * 0.8 / series.length);
    var every = Math.max(1, Math.ceil(categories.length / Math.max(1, Math.floor((a.x1 - a.x0) / 70))));
    for (var i = 0; i < categories.length; i++) {
      for (var k = 0; k < series.length; k++) {
        var v = series[k].values[i];
        var h = v / a.top * (a.y1 - a.y0);
        ctx.fillStyle = COLORS[k % COLORS.length];
        ctx.fillRect(a.x0 + slot * i + slot * 0.1 + bar * k, a.y1 - h, bar, h);
      }
      if (i % every === 0) {
        var text = String(categories[i]);
        if (text.length > 14) text = text.slice(0, 13) + '\u2026';
        ctx.fillStyle = '#5b6478';
        ctx.textAlign = 'center';
        ctx.textBaseline = 'top';
        ctx.fillText(text, a.x0 + slot * (i + 0.5), a.y1 + 6);
      }
    }
    legend(ctx, series, a.x0, 16);
    mark(canvas, categories.length, series.length);
  }

  function safely(id, draw) {
    try { draw(); } catch (e) {
      var c = document.getElementById(id);
      if (c) c.setAttribute('data-error', String(e && e.message ? e.message : e));
    }
  }

  safely('chart-percentiles', function () {
    var p = data.percentiles;
    lineChart('chart-percentiles', p.t, [
      { name: 'p50', values: p.p50 }, { name: 'p90', values: p.p90 },
      { name: 'p95', values: p.p95 }, { name: 'p99', values: p.p99 }], 'ms');
  });
  safely('chart-throughput', function () {
    var t = data.throughput;
    lineChart('chart-throughput', t.t, [
      { name: 'samples/s', values: t.samples }, { name: 'errors/s', values: t.errors }], 'per second');
  });
  safely('chart-threads', function () {
    lineChart('chart-threads', data.threads.t, [{ name: 'active threads', values: data.threads.v }], 'threads');
  });
  safely('chart-errors', function () {
    barChart('chart-errors', data.errors.map(function (e) { return e.type; }),
      [{ name: 'errors', values: data.errors.map(function (e) { return e.count; }) }], 'count');
  });
  safely('chart-distribution', function () {
    var d = data.distribution;
    barChart('chart-distribution', d.from.map(function (f) { return f + ' ms'; }),
      [{ name: 'samples (bin width ' + d.width + ' ms)', values: d.count }], 'samples');
  });
  safely('chart-workers', function () {
    barChart('chart-workers', data.workers.map(function (w) { return w.name; }), [
      { name: 'samples', values: data.workers.map(function (w) { return w.samples; }) },
      { name: 'errors', values: data.workers.map(function (w) { return w.errors; }) }], 'samples');
  });
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
