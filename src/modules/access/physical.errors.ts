import { conflict, invalid, notFound, type AppError } from '../../core/errors.ts';

/** The physical-access errors, each with its stable code. */
export const siteNotFound = (id: string): AppError => notFound('access_site_not_found', `no site ${id}`);
export const siteExists = (name: string): AppError => conflict('access_site_exists', `a site named ${name} exists already`);
export const doorNotFound = (id: string): AppError => notFound('access_door_not_found', `no door ${id}`);
export const doorExists = (name: string): AppError => conflict('access_door_exists', `the site has a door named ${name} already`);
export const cameraNotFound = (id: string): AppError => notFound('access_camera_not_found', `no camera ${id}`);
export const cameraExists = (name: string): AppError =>
  conflict('access_camera_exists', `the site has a camera named ${name} already`);
export const cameraDoorElsewhere = (): AppError =>
  invalid('access_camera_door_other_site', 'a camera can only cover a door of its own site', [
    { path: 'body.doorId', message: 'a door of the camera’s site' },
  ]);
export const personNotFound = (id: string, path = 'body.personId'): AppError =>
  invalid('access_person_not_found', `no person ${id}`, [{ path, message: 'an existing person' }]);
export const badgeNotFound = (id: string): AppError => notFound('access_badge_not_found', `no badge ${id}`);
export const badgeExists = (n: string): AppError => conflict('access_badge_exists', `badge ${n} is registered already`);
export const badgeRevoked = (n: string): AppError => conflict('access_badge_revoked', `badge ${n} is revoked already`);
export const siteGrantNotFound = (id: string): AppError => notFound('access_site_grant_not_found', `no site grant ${id}`);
export const siteGrantState = (state: string, wanted: string): AppError =>
  conflict('access_site_grant_state', `the site grant is ${state}; only a ${wanted} grant can be changed so`);
export const personLeft = (name: string): AppError =>
  conflict('access_person_left', `${name} has left: no new access can be granted`);
