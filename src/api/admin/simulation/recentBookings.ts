/**
 * The bookings this API process made from the simulation page, newest last: their names and numbers
 * are kept in memory only (never logged), to resend them with reschedules and to list them. Bounded:
 * the oldest go first.
 */
import type { Booking } from './events';

/** Bookings whose details this process keeps (for reschedules and the list). */
const MAX_KEPT_BOOKINGS = 100;

export class RecentBookings {
  private readonly bookings = new Map<string, Booking>();

  keep(booking: Booking): void {
    this.bookings.delete(booking.appointmentId);
    this.bookings.set(booking.appointmentId, booking);
    while (this.bookings.size > MAX_KEPT_BOOKINGS) {
      const oldest = this.bookings.keys().next();
      if (oldest.done) break;
      this.bookings.delete(oldest.value);
    }
  }

  get(appointmentId: string): Booking | undefined {
    return this.bookings.get(appointmentId);
  }

  /** Appointment ids, newest booking first. */
  idsNewestFirst(): string[] {
    return [...this.bookings.keys()].reverse();
  }
}
