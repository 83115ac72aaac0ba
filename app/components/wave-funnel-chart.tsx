/**
 * Sent → delivered → opened the link → signed in, per channel, as horizontal bars. Drawn on the server
 * as plain SVG (no script, no inline styles for the Content-Security-Policy to refuse); screen readers get
 * the figures in its label, and the table beside it holds the same numbers.
 */
export function WaveFunnelChart({
  funnel,
}: {
  funnel: { channel: string; steps: { label: string; n: number }[] }[];
}) {
  const labelWidth = 150;
  const barWidth = 320;
  const row = 24;
  const heading = 26;
  const width = labelWidth + barWidth + 80;
  const max = Math.max(1, ...funnel.flatMap((f) => f.steps.map((s) => s.n)));
  const colors = ['#0b5cad', '#0f7b6c', '#6b3fa0', '#8a4b00'];
  const summary = funnel
    .map(
      (f) =>
        `${f.channel}: ${f.steps.map((s) => `${s.n.toLocaleString('en-US')} ${s.label.toLowerCase()}`).join(', ')}`,
    )
    .join('. ');
  const group = heading + row * 4 + 8;
  const height = funnel.length * group;
  return (
    <svg
      className="wave-chart"
      role="img"
      aria-label={`From sent to signed in. ${summary}.`}
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
    >
      <title>{`From sent to signed in. ${summary}.`}</title>
      {funnel.map((f, index) => {
        const top = index * group;
        return (
          <g key={f.channel} aria-hidden="true">
            <text x={0} y={top + 18} fontWeight="700" fontSize="15" fill="#1b1f24">
              {f.channel}
            </text>
            {f.steps.map((s, i) => {
              const rowTop = top + heading + i * row;
              const w = Math.round((s.n / max) * barWidth);
              return (
                <g key={s.label}>
                  <text x={0} y={rowTop + 16} fontSize="14" fill="#4a5561">
                    {s.label}
                  </text>
                  <rect
                    x={labelWidth}
                    y={rowTop + 3}
                    width={Math.max(w, 1)}
                    height={row - 6}
                    fill={colors[i]}
                  />
                  <text x={labelWidth + Math.max(w, 1) + 6} y={rowTop + 16} fontSize="14" fill="#1b1f24">
                    {s.n.toLocaleString('en-US')}
                  </text>
                </g>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}
