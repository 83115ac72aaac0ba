// Any path no route claims: a friendly page, never a bare 404. Legacy URL rules will run here later.
export function loader() {
  throw new Response('Not found', { status: 404 });
}

export default function NotFound() {
  return null;
}
