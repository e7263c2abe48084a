// The demo page's one stylesheet, inline (no external resource; its hash is in the page's CSP). System fonts,
// two columns that stack on a narrow screen, light and dark.
export const pageStyle = `
:root{color-scheme:light dark;--bg:#f4f5f7;--panel:#fff;--ink:#1c2230;--muted:#5f6b7a;--line:#e3e6eb;
--accent:#3454d1;--on-accent:#fff;--accent-soft:#e8edff;--bubble:#eef0f4;
--ok:#0b7a45;--ok-soft:#e9f8ef;--bad:#c0262d;--bad-soft:#fdeeee;--warn:#a65a00;--warn-soft:#fff5e0;--gone:#7a8290;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--panel:#1a1e24;--ink:#e6e9ee;--muted:#9aa4b2;--line:#2b313a;
--accent:#7d98ff;--on-accent:#0d1430;--accent-soft:#23305c;--bubble:#252a33;--ok:#4cd38a;--ok-soft:#14291e;--bad:#ff7b7b;--bad-soft:#331a1c;
--warn:#ffb84d;--warn-soft:#33270f;--gone:#8a93a0}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
button,input{font:inherit;color:inherit}
button{cursor:pointer;border:1px solid var(--line);background:var(--panel);border-radius:8px;padding:.45rem .85rem}
button:hover{border-color:var(--accent)}
button{white-space:nowrap}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}
input{border:1px solid var(--line);background:var(--panel);border-radius:8px;padding:.5rem .7rem;min-width:0}
input:focus,button:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
form{margin:0}
code,.code{font-family:var(--mono)}
.top{display:flex;align-items:center;gap:.75rem;padding:.7rem 1.25rem;background:var(--panel);border-bottom:1px solid var(--line)}
.brand{font-weight:700;font-size:1.05rem;margin:0;white-space:nowrap}
.brand span{color:var(--muted);font-weight:400}
.top .who{margin-left:auto;color:var(--muted);min-width:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.top .who b{color:var(--ink)}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.15fr);gap:1rem;padding:1rem;max-width:84rem;margin:0 auto;
height:calc(100vh - 3.4rem)}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:12px;display:flex;flex-direction:column;min-height:0;overflow:hidden}
.head{display:flex;align-items:center;flex-wrap:wrap;gap:.5rem .75rem;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
.head h2{font-size:1rem;margin:0 auto 0 0}
.facts{color:var(--muted);font-size:.9rem}
.pill{font-size:.8rem;font-weight:600;border-radius:999px;padding:.1rem .6rem;background:var(--bubble);color:var(--muted)}
.pill.ok{background:var(--ok-soft);color:var(--ok)}
.pill.bad{background:var(--bad-soft);color:var(--bad)}
.refusal{margin:.75rem 1rem 0;padding:.7rem .9rem;border-radius:10px;background:var(--bad-soft);border:1px solid var(--bad);
display:flex;flex-wrap:wrap;align-items:center;gap:.5rem .75rem}
.refusal b{font-family:var(--mono);color:var(--bad)}
.refusal p{margin:0;flex:1 1 14rem}
.refusal form{display:inline}
#log{flex:1;overflow:auto;padding:1rem;display:flex;flex-direction:column;gap:.4rem;min-height:14rem}
.msg{max-width:80%;align-self:flex-start;padding:.4rem .75rem;border-radius:14px 14px 14px 4px;background:var(--bubble);overflow-wrap:anywhere}
.msg .name{font-weight:600;display:block;font-size:.8rem;color:var(--muted)}
.quiet{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.msg.own{align-self:flex-end;border-radius:14px 14px 4px 14px;background:var(--accent-soft)}
.note{align-self:center;color:var(--muted);font-size:.85rem}
.say{display:flex;gap:.5rem;padding:.75rem;border-top:1px solid var(--line)}
.say input{flex:1}
.intro{margin:0;padding:.75rem 1rem 0;color:var(--muted);font-size:.9rem}
.probes{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.5rem;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
.probe{border:1px solid var(--line);border-radius:10px;overflow:hidden;display:flex;flex-direction:column}
.probe:hover{border-color:var(--accent)}
.probe button{border:0;border-radius:0;text-align:left;white-space:normal;display:flex;flex-direction:column;gap:.1rem;flex:1;padding:.5rem .75rem}
.probe button b{font-size:.92rem}
.probe button b::after{content:" ›";color:var(--accent)}
.probe button small{color:var(--muted);font-size:.78rem}
.probe button:disabled{cursor:not-allowed;opacity:.55}
.result{font-size:.8rem;padding:.35rem .75rem;border-top:1px dashed var(--line);display:flex;flex-direction:column;color:var(--muted)}
.result:empty{display:none}
.result b{font-family:var(--mono)}
.result.bad{background:var(--bad-soft)}
.result.bad b{color:var(--bad)}
.result.warn{background:var(--warn-soft)}
.result.warn b{color:var(--warn)}
.live{font-size:.8rem;color:var(--muted);display:flex;align-items:center;gap:.35rem}
.live::before{content:"";width:.55rem;height:.55rem;border-radius:50%;background:var(--gone)}
.live.on::before{background:var(--ok)}
#gate-log{list-style:none;margin:0;padding:.75rem 1rem;overflow:auto;flex:1;display:flex;flex-direction:column;gap:.4rem}
.entry{display:grid;grid-template-columns:3.2rem minmax(0,1fr) auto;align-items:baseline;gap:.1rem .6rem;padding:.45rem .7rem;
border-left:4px solid var(--gone);border-radius:8px;background:var(--bubble)}
.entry .status{font-weight:700;font-variant-numeric:tabular-nums;font-size:1.05rem}
.entry .code{font-weight:700;overflow-wrap:anywhere}
.entry .ms{font-variant-numeric:tabular-nums;color:var(--muted);font-size:.85rem}
.entry .meta{grid-column:2/4;display:flex;flex-wrap:wrap;gap:.2rem .5rem;align-items:center;color:var(--muted);font-size:.8rem}
.entry .badge{border:1px solid var(--line);border-radius:5px;padding:0 .35rem;font-family:var(--mono);font-size:.75rem;background:var(--panel)}
.entry .mine{color:var(--accent);font-weight:600}
.entry time{margin-left:auto;font-variant-numeric:tabular-nums}
.entry.ok{border-color:var(--ok);background:var(--ok-soft)}
.entry.ok .status,.entry.ok .code{color:var(--ok)}
.entry.bad{border-color:var(--bad);background:var(--bad-soft)}
.entry.bad .status,.entry.bad .code{color:var(--bad)}
.entry.warn{border-color:var(--warn);background:var(--warn-soft)}
.entry.warn .status,.entry.warn .code{color:var(--warn)}
.entry.closed{border-style:dashed;opacity:.85}
.entry.fresh{animation:fresh 1.2s ease-out}
@keyframes fresh{from{box-shadow:0 0 0 3px var(--accent)}to{box-shadow:0 0 0 0 transparent}}
.empty,.divider{color:var(--muted);font-size:.85rem;text-align:center;padding:.5rem}
.login{max-width:26rem;margin:12vh auto;padding:1.75rem;background:var(--panel);border:1px solid var(--line);border-radius:14px}
.login h1{margin:0 0 .25rem;font-size:1.4rem}
.login p{color:var(--muted);margin:0 0 1.25rem}
.login form{display:flex;gap:.5rem}
.login input{flex:1}
@media (max-width:56rem){.top{padding:.6rem 1rem}.grid{grid-template-columns:1fr;height:auto;padding:.75rem}#log{max-height:24rem}#gate-log{max-height:32rem}}
@media (prefers-reduced-motion:reduce){.entry.fresh{animation:none}}
`;
