// Ids are made on the device, time-ordered (UUIDv7), so they never collide across devices.
export { v7 as uuidv7 } from 'uuid';
