/** Who is calling: the token's `sub` claim, which also names the user's session folder. */
export interface AuthenticatedUser {
  userId: string;
  roles: string[];
}

/** A user id becomes a folder name, so only this alphabet is accepted. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const ADMIN_ROLE = 'admin';
