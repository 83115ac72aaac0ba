import type { ActionFunctionArgs } from '@remix-run/node';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';

// "I'm still here": extends an idle staff session.
export async function action(args: ActionFunctionArgs) {
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  const active = await requireStaff(args, 'any');
  const idleExpiresAt = await args.context.services.staff.extendSession(active);
  return { idleExpiresAt: idleExpiresAt.toISOString() };
}
