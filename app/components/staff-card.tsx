import { useRouteLoaderData } from '@remix-run/react';
import type { loader } from '../root.tsx';

/** The centered card of the staff sign-in steps. */
export function StaffCard({ title, children }: { title: string; children: React.ReactNode }) {
  const root = useRouteLoaderData<typeof loader>('root');
  return (
    <main id="main" className="card">
      <p className="hint">{root?.brand.name} · Staff console</p>
      <h1>{title}</h1>
      {children}
    </main>
  );
}
